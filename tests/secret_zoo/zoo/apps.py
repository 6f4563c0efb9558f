from django.apps import AppConfig


class ZooConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "zoo"
