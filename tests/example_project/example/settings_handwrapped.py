"""The example settings without ``chanreplay`` installed: recording wired by hand.

The channel layer is wrapped in its configuration and the ASGI application in
``example/asgi_recorded.py``; ``CHANREPLAY_RECORD=NAME`` turns recording on.
"""

from example.settings import *  # noqa: F403
from example.settings import CHANNEL_LAYERS, INSTALLED_APPS

INSTALLED_APPS = [app for app in INSTALLED_APPS if app != "chanreplay"]

CHANNEL_LAYERS = {
    alias: {
        "BACKEND": "chanreplay.layers.RecordingChannelLayer",
        "CONFIG": {
            "BACKEND": layer["BACKEND"],
            "CONFIG": layer.get("CONFIG", {}),
            "ALIAS": alias,
        },
    }
    for alias, layer in CHANNEL_LAYERS.items()
}
