"""A consumer that takes and echoes secrets in frames, binary frames and layer messages."""

import hashlib
import json
from urllib.parse import parse_qs

from asgiref.sync import async_to_sync
from channels.generic.websocket import WebsocketConsumer


class ZooConsumer(WebsocketConsumer):
    def connect(self) -> None:
        async_to_sync(self.channel_layer.group_add)("zoo", self.channel_name)
        offered = self.scope.get("subprotocols", [])
        self.accept("access_token" if "access_token" in offered else None)
        query = parse_qs(self.scope["query_string"].decode())
        remembered = self.scope.get("cookies", {}).get("remember_me", "")
        # Echoes what the handshake carried, as a careless "welcome" does.
        self.send(json.dumps({"welcome": query.get("access_key", [""])[0]}))
        self.send(text_data=f"remembered {remembered}")

    def disconnect(self, code: int) -> None:
        async_to_sync(self.channel_layer.group_discard)("zoo", self.channel_name)

    def receive(self, text_data: str | None = None, bytes_data: bytes | None = None) -> None:
        if bytes_data is not None:
            data = json.loads(bytes_data) if bytes_data.startswith(b"{") else None
            if data is None:  # an upload: its digest comes back as bytes
                self.send(bytes_data=hashlib.sha256(bytes_data).digest())
            else:
                self.send(text_data=json.dumps({"got_binary": sorted(data)}))
            return
        assert text_data is not None
        if text_data.startswith("login "):
            self.send(text_data="noted")
            return
        data = json.loads(text_data)
        if "share" in data:
            async_to_sync(self.channel_layer.group_send)(
                "zoo", {"type": "zoo.note", "api_key": data["share"]["apiKey"], "note": "shared"}
            )
            return
        self.send(text_data=json.dumps({"got": sorted(data)}))

    def zoo_note(self, event: dict) -> None:
        self.send(text_data=json.dumps({"note": event["note"], "apiKey": event["api_key"]}))
