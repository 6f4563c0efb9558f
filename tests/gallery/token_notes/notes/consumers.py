from asgiref.sync import async_to_sync
from channels.generic.websocket import JsonWebsocketConsumer
from django.utils import timezone


class NotesConsumer(JsonWebsocketConsumer):
    """Live updates of the notes for API clients that authenticate with a token."""

    group_name = "notes"

    def connect(self):
        if self.scope["user"].is_anonymous:
            self.close()
            return
        async_to_sync(self.channel_layer.group_add)(self.group_name, self.channel_name)
        self.accept()

    def disconnect(self, code):
        async_to_sync(self.channel_layer.group_discard)(self.group_name, self.channel_name)

    def receive_json(self, content, **kwargs):
        if content.get("action") == "ping":
            self.send_json({"pong": True, "server_time": timezone.now().isoformat()})

    def note_event(self, event):
        self.send_json({"event": event["event"], "note": event["note"], "at": event["at"]})
