from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncJsonWebsocketConsumer

from .models import Note


class NotesConsumer(AsyncJsonWebsocketConsumer):
    """A user's notes; every tab of the user joins the same group to stay in sync."""

    async def connect(self):
        self.user_id = self.scope["session"]["_auth_user_id"]
        self.group_name = f"notes-{self.user_id}"
        await self.channel_layer.group_add(self.group_name, self.channel_name)
        await self.accept()
        await self.send_json({"type": "hello", "count": await self.count_notes()})

    async def disconnect(self, close_code):
        await self.channel_layer.group_discard(self.group_name, self.channel_name)

    async def receive_json(self, content):
        action = content["action"]
        if action == "add":
            note = await self.add_note(content["text"])
            await self.channel_layer.group_send(
                self.group_name, {"type": "note.added", "id": note.id, "text": note.text}
            )
        elif action == "delete":
            await self.delete_note(content["id"])
            await self.channel_layer.group_send(
                self.group_name, {"type": "note.deleted", "id": content["id"]}
            )

    async def note_added(self, event):
        await self.send_json({"type": "added", "id": event["id"], "text": event["text"]})

    async def note_deleted(self, event):
        await self.send_json({"type": "deleted", "id": event["id"]})

    @database_sync_to_async
    def count_notes(self):
        return Note.objects.filter(owner_id=self.user_id).count()

    @database_sync_to_async
    def add_note(self, text):
        return Note.objects.create(owner_id=self.user_id, text=text)

    @database_sync_to_async
    def delete_note(self, note_id):
        Note.objects.get(pk=note_id, owner_id=self.user_id).delete()
