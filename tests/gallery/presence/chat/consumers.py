from channels.generic.websocket import AsyncJsonWebsocketConsumer


class RoomConsumer(AsyncJsonWebsocketConsumer):
    """A chat room that tells its members who comes and goes."""

    room_group_name = None

    async def connect(self):
        self.user = self.scope["user"]
        if not self.user.is_authenticated:
            await self.close()
            return

        self.room_name = self.scope["url_route"]["kwargs"]["room_name"]
        self.room_group_name = f"room_{self.room_name}"

        await self.channel_layer.group_add(self.room_group_name, self.channel_name)
        await self.accept()
        await self.channel_layer.group_send(
            self.room_group_name, {"type": "user.join", "user": self.user.username}
        )

    async def disconnect(self, close_code):
        if self.room_group_name is None:
            return
        await self.channel_layer.group_discard(self.room_group_name, self.channel_name)
        await self.channel_layer.group_send(
            self.room_group_name, {"type": "user.leave", "user": self.user.username}
        )

    async def receive_json(self, content):
        message = str(content.get("message", "")).strip()
        if not message:
            return
        if message == "/quit":
            await self.send_json({"type": "goodbye", "message": f"Bye, {self.user.username}!"})
            await self.close()
            return
        await self.channel_layer.group_send(
            self.room_group_name,
            {"type": "chat.message", "user": self.user.username, "message": message},
        )

    # Handlers for the group's events

    async def user_join(self, event):
        await self.send_json({"type": "user_join", "user": event["user"]})

    async def user_leave(self, event):
        await self.send_json({"type": "user_leave", "user": event["user"]})

    async def chat_message(self, event):
        await self.send_json(
            {"type": "chat_message", "user": event["user"], "message": event["message"]}
        )
