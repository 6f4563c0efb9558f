import json

from channels.generic.websocket import AsyncWebsocketConsumer


class EchoConsumer(AsyncWebsocketConsumer):
    async def connect(self):
        await self.accept()

    async def receive(self, text_data=None, bytes_data=None):
        if bytes_data is not None:
            await self.send(bytes_data=bytes_data[::-1])
            return
        if text_data == "bye":
            await self.close(code=4000)
            return
        try:
            data = json.loads(text_data)
        except ValueError:
            await self.send(text_data=f"echo: {text_data}")
            return
        await self.send(text_data=json.dumps({"echo": data, "keys": len(data)}))
