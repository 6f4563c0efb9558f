from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.conf import settings
from django.db import models


class Post(models.Model):
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE)
    title = models.CharField(max_length=200)
    body = models.TextField(blank=True)
    published = models.BooleanField(default=False)

    class Meta:
        ordering = ["-id"]

    def __str__(self):
        return self.title

    def save(self, *args, **kwargs):
        created = self.pk is None
        super().save(*args, **kwargs)
        # Tell every open feed socket about it.
        channel_layer = get_channel_layer()
        async_to_sync(channel_layer.group_send)(
            "feed",
            {
                "type": "post.event",
                "action": "created" if created else "updated",
                "post": {
                    "id": self.id,
                    "author": self.author.username,
                    "title": self.title,
                    "published": self.published,
                },
            },
        )
