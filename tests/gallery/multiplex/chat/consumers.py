import contextlib

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncJsonWebsocketConsumer

from .models import Room


class ClientError(Exception):
    """An error the client caused; its code is sent back to it."""

    def __init__(self, code):
        super().__init__(code)
        self.code = code


@database_sync_to_async
def get_room_or_error(name):
    try:
        return Room.objects.get(name=name)
    except Room.DoesNotExist:
        raise ClientError("ROOM_INVALID") from None


class ChatConsumer(AsyncJsonWebsocketConsumer):
    """One socket per user, multiplexing every room the user has joined."""

    async def connect(self):
        self.rooms = set()
        if self.scope["user"].is_anonymous:
            await self.close()
        else:
            await self.accept()

    async def receive_json(self, content):
        command = content.get("command", None)
        try:
            if command == "join":
                await self.join_room(content["room"])
            elif command == "leave":
                await self.leave_room(content["room"])
            elif command == "send":
                await self.send_room(content["room"], content["message"])
        except ClientError as e:
            await self.send_json({"error": e.code})

    async def disconnect(self, code):
        # Leave every room we are still in
        for room in list(self.rooms):
            with contextlib.suppress(ClientError):
                await self.leave_room(room)

    async def join_room(self, name):
        room = await get_room_or_error(name)
        # Tell the room someone came in (before we are in it ourselves)
        await self.channel_layer.group_send(
            room.group_name,
            {"type": "chat.join", "room": room.name, "username": self.scope["user"].username},
        )
        self.rooms.add(room.name)
        await self.channel_layer.group_add(room.group_name, self.channel_name)
        await self.send_json({"join": room.name})

    async def leave_room(self, name):
        room = await get_room_or_error(name)
        await self.channel_layer.group_send(
            room.group_name,
            {"type": "chat.leave", "room": room.name, "username": self.scope["user"].username},
        )
        self.rooms.discard(room.name)
        await self.channel_layer.group_discard(room.group_name, self.channel_name)
        await self.send_json({"leave": room.name})

    async def send_room(self, name, message):
        if name not in self.rooms:
            raise ClientError("ROOM_ACCESS_DENIED")
        room = await get_room_or_error(name)
        await self.channel_layer.group_send(
            room.group_name,
            {
                "type": "chat.message",
                "room": room.name,
                "username": self.scope["user"].username,
                "message": message,
            },
        )

    # Handlers for messages sent over the channel layer

    async def chat_join(self, event):
        await self.send_json(
            {"msg_type": "enter", "room": event["room"], "username": event["username"]}
        )

    async def chat_leave(self, event):
        await self.send_json(
            {"msg_type": "leave", "room": event["room"], "username": event["username"]}
        )

    async def chat_message(self, event):
        await self.send_json(
            {
                "msg_type": "message",
                "room": event["room"],
                "username": event["username"],
                "message": event["message"],
            }
        )
