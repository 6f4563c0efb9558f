"""A project whose session shows secrets in every place they turn up in real apps.

Its settings hold secrets too (``SECRET_KEY``, a mail password, a JWT
signing key), which a view echoes; ``DEBUG`` is on, so an error is Django's
technical 500 page.
"""

import sys
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(BASE_DIR))  # values.py, shared with the driver

import values  # noqa: E402

SECRET_KEY = values.SECRET_KEY

DEBUG = True
ALLOWED_HOSTS: list[str] = ["127.0.0.1", "localhost"]

INSTALLED_APPS = [
    "chanreplay",
    "daphne",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "zoo",
]

MIDDLEWARE = [
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
]

ROOT_URLCONF = "mysite.urls"
TEMPLATES = [{"BACKEND": "django.template.backends.django.DjangoTemplates", "APP_DIRS": True}]
ASGI_APPLICATION = "mysite.asgi.application"
CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}
DATABASES = {"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": BASE_DIR / "db.sqlite3"}}
USE_TZ = True
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

EMAIL_HOST_PASSWORD = values.EMAIL_HOST_PASSWORD
SIMPLE_JWT = {"SIGNING_KEY": values.SIGNING_KEY, "ALGORITHM": "HS256"}
