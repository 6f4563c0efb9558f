"""ASGI entry point: Django views over HTTP plus the example Channels consumers.

``get_asgi_application()`` runs first so the app registry is ready before the
consumers (which import models) are imported.
"""

from __future__ import annotations

import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "example.settings")

django_asgi_app = get_asgi_application()

from channels.auth import AuthMiddlewareStack  # noqa: E402
from channels.routing import ChannelNameRouter, ProtocolTypeRouter, URLRouter  # noqa: E402
from channels.security.websocket import AllowedHostsOriginValidator  # noqa: E402
from django.urls import re_path  # noqa: E402

from chat.consumers import NotesWorker, StatsConsumer  # noqa: E402
from chat.multiplex import NoteBinding  # noqa: E402
from example.routing import websocket_urlpatterns  # noqa: E402

application = ProtocolTypeRouter(
    {
        "http": URLRouter(
            [
                re_path(r"^api/stats/$", StatsConsumer.as_asgi()),
                re_path(r"", django_asgi_app),
            ]
        ),
        "websocket": AllowedHostsOriginValidator(
            AuthMiddlewareStack(URLRouter(websocket_urlpatterns))
        ),
        "channel": ChannelNameRouter(
            {"notes-worker": NotesWorker.as_asgi(), "binding.notes": NoteBinding.as_asgi()}
        ),
    }
)
