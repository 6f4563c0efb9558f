from django.urls import path

from . import consumers

websocket_urlpatterns = [
    path("ws/trips/", consumers.TripConsumer.as_asgi()),
]
