"""Settings for the chanreplay example project.

Everything a test might want to vary is read from the environment, so a test can
start a server subprocess with a different database, channel layer or cassette
directory without touching this file:

``EXAMPLE_DEBUG``
    ``"1"`` (default) or ``"0"``.
``EXAMPLE_DB_PATH`` / ``EXAMPLE_TEST_DB_PATH``
    SQLite file for the server and, if set, for the test database.
``EXAMPLE_CHANNEL_LAYER``
    ``memory`` (default), ``redis`` or ``pubsub``.
``REDIS_URL`` / ``EXAMPLE_REDIS_PREFIX``
    Redis server for the ``redis`` and ``pubsub`` layers and their key prefix.
``EXAMPLE_CASSETTE_DIR``
    Where chanreplay writes and reads cassettes.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

BASE_DIR = Path(__file__).resolve().parent.parent

SECRET_KEY = "example-insecure-secret-key-for-chanreplay-tests-only-0123456789"

DEBUG = os.environ.get("EXAMPLE_DEBUG", "1") == "1"

ALLOWED_HOSTS = ["127.0.0.1", "localhost", "testserver"]

INSTALLED_APPS = [
    # chanreplay must come before daphne: both provide a ``runserver`` command.
    "chanreplay",
    "daphne",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "chat",
    "values",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
]

ROOT_URLCONF = "example.urls"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

# EXAMPLE_ASGI_APPLICATION lets a test serve a changed application (tests/integration/test_play.py).
ASGI_APPLICATION = os.environ.get("EXAMPLE_ASGI_APPLICATION", "example.asgi.application")

_database: dict[str, Any] = {
    "ENGINE": "django.db.backends.sqlite3",
    "NAME": os.environ.get("EXAMPLE_DB_PATH", BASE_DIR / "db.sqlite3"),
}
if os.environ.get("EXAMPLE_TEST_DB_PATH"):
    _database["TEST"] = {"NAME": os.environ["EXAMPLE_TEST_DB_PATH"]}

DATABASES = {"default": _database}

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

REDIS_URL = os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0")
EXAMPLE_CHANNEL_LAYER = os.environ.get("EXAMPLE_CHANNEL_LAYER", "memory")
_redis_prefix = os.environ.get("EXAMPLE_REDIS_PREFIX", "example")

_channel_layers: dict[str, dict[str, Any]] = {
    "memory": {"BACKEND": "channels.layers.InMemoryChannelLayer"},
    "redis": {
        "BACKEND": "channels_redis.core.RedisChannelLayer",
        "CONFIG": {"hosts": [REDIS_URL], "prefix": _redis_prefix},
    },
    "pubsub": {
        "BACKEND": "channels_redis.pubsub.RedisPubSubChannelLayer",
        "CONFIG": {"hosts": [REDIS_URL], "prefix": _redis_prefix},
    },
}
if EXAMPLE_CHANNEL_LAYER not in _channel_layers:
    raise ValueError(
        f"EXAMPLE_CHANNEL_LAYER must be one of {sorted(_channel_layers)}, "
        f"not {EXAMPLE_CHANNEL_LAYER!r}"
    )
CHANNEL_LAYERS = {"default": _channel_layers[EXAMPLE_CHANNEL_LAYER]}

AUTH_PASSWORD_VALIDATORS: list[dict[str, Any]] = []

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"

LOGIN_URL = "/login/"
LOGIN_REDIRECT_URL = "/"

CHANREPLAY = {"CASSETTE_DIR": os.environ.get("EXAMPLE_CASSETTE_DIR", "cassettes")}
