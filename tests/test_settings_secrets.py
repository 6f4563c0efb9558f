"""Which values of a Django project's settings count as secrets."""

from __future__ import annotations

from types import SimpleNamespace

from chanreplay.settings_secrets import setting_secrets


def test_secret_settings_and_secret_keys_inside_settings_are_found() -> None:
    settings = SimpleNamespace(
        SECRET_KEY="django-insecure-0123456789abcdefghij",
        SECRET_KEY_FALLBACKS=["an-older-secret-key-value"],
        EMAIL_HOST_PASSWORD="smtp-password-1",
        AWS_SECRET_ACCESS_KEY="aws-secret-0123456789",
        DATABASES={"default": {"NAME": "app", "USER": "app", "PASSWORD": "db-password-1"}},
        SIMPLE_JWT={"SIGNING_KEY": "jwt-signing-key-0123", "ACCESS_TOKEN_LIFETIME": 300},
        AUTH_USER_MODEL="auth.User",
        PASSWORD_HASHERS=["django.contrib.auth.hashers.PBKDF2PasswordHasher"],
        AUTH_PASSWORD_VALIDATORS=[{"NAME": "django.contrib.auth.password_validation.X"}],
        CSRF_COOKIE_NAME="csrftoken",
        lowercase_secret="not a setting at all",
    )
    assert setting_secrets(settings) == [
        "an-older-secret-key-value",
        "aws-secret-0123456789",
        "db-password-1",
        "django-insecure-0123456789abcdefghij",
        "jwt-signing-key-0123",
        "smtp-password-1",
    ]


def test_short_values_are_words_not_secrets() -> None:
    assert setting_secrets(SimpleNamespace(DATABASES={"x": {"PASSWORD": "pg"}})) == []
