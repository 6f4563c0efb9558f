import json

from asgiref.sync import async_to_sync
from channels.generic.websocket import WebsocketConsumer

from .models import Message, Room


class ChatConsumer(WebsocketConsumer):
    def connect(self):
        self.user = self.scope["user"]
        if not self.user.is_authenticated:
            self.close()
            return
        self.room_name = self.scope["url_route"]["kwargs"]["room_name"]
        self.room_group_name = f"chat_{self.room_name}"
        self.room, _ = Room.objects.get_or_create(name=self.room_name)

        # Join room group
        async_to_sync(self.channel_layer.group_add)(self.room_group_name, self.channel_name)
        self.accept()

        last = self.room.messages.select_related("author").order_by("-id")[:10]
        self.send(
            text_data=json.dumps(
                {
                    "type": "history",
                    "messages": [
                        {"id": m.id, "author": m.author.username, "content": m.content}
                        for m in reversed(last)
                    ],
                }
            )
        )

    def disconnect(self, close_code):
        # Leave room group
        if hasattr(self, "room_group_name"):
            async_to_sync(self.channel_layer.group_discard)(self.room_group_name, self.channel_name)

    # Receive message from WebSocket
    def receive(self, text_data):
        text_data_json = json.loads(text_data)
        message = Message.objects.create(
            room=self.room, author=self.user, content=text_data_json["message"]
        )

        # Send message to room group
        async_to_sync(self.channel_layer.group_send)(
            self.room_group_name,
            {
                "type": "chat.message",
                "id": message.id,
                "author": self.user.username,
                "content": message.content,
            },
        )

    # Receive message from room group
    def chat_message(self, event):
        self.send(
            text_data=json.dumps(
                {
                    "type": "message",
                    "id": event["id"],
                    "author": event["author"],
                    "content": event["content"],
                }
            )
        )
