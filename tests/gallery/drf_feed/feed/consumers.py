from channels.generic.websocket import AsyncJsonWebsocketConsumer


class FeedConsumer(AsyncJsonWebsocketConsumer):
    """Pushes every post change to the browser; the feed is read-only."""

    group_name = "feed"

    async def connect(self):
        await self.channel_layer.group_add(self.group_name, self.channel_name)
        await self.accept()

    async def disconnect(self, code):
        await self.channel_layer.group_discard(self.group_name, self.channel_name)

    async def receive_json(self, content, **kwargs):
        pass  # clients only listen

    async def post_event(self, event):
        await self.send_json({"action": event["action"], "post": event["post"]})
