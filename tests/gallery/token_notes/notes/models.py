import secrets

from django.conf import settings
from django.db import models


def make_public_id():
    """A short random id to share a note by, so URLs don't give away how many notes exist."""
    return secrets.token_urlsafe(9)


class Note(models.Model):
    public_id = models.CharField(max_length=16, default=make_public_id, unique=True, editable=False)
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE)
    text = models.TextField()
    created = models.DateTimeField(auto_now_add=True)
    updated = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created"]

    def __str__(self):
        return self.text[:40]
