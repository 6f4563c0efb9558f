from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncJsonWebsocketConsumer
from django.db.models import Q
from django.utils import timezone

from .models import Trip
from .serializers import TripSerializer


class TripConsumer(AsyncJsonWebsocketConsumer):
    """Riders request trips, drivers hear about them and take them."""

    async def connect(self):
        user = self.scope["user"]
        if user.is_anonymous:
            await self.close()
            return
        if await self._is_driver(user):
            await self.channel_layer.group_add("drivers", self.channel_name)
        for trip_id in await self._get_trip_ids(user):
            await self.channel_layer.group_add(trip_id, self.channel_name)
        await self.accept()

    async def disconnect(self, code):
        user = self.scope["user"]
        if user.is_anonymous:
            return
        if await self._is_driver(user):
            await self.channel_layer.group_discard("drivers", self.channel_name)
        for trip_id in await self._get_trip_ids(user):
            await self.channel_layer.group_discard(trip_id, self.channel_name)

    async def receive_json(self, content, **kwargs):
        message_type = content.get("type")
        if message_type == "create.trip":
            await self.create_trip(content)
        elif message_type == "update.trip":
            await self.update_trip(content)
        else:
            await self.send_json(
                {
                    "type": "error",
                    "detail": f"unknown message type {message_type!r}",
                    "sent": timezone.now().isoformat(),
                }
            )

    async def create_trip(self, message):
        trip_data = await self._create_trip(message.get("data") or {})
        trip_id = trip_data["id"]

        # Tell every driver about the new request.
        await self.channel_layer.group_send("drivers", {"type": "trip.created", "data": trip_data})
        # Follow the trip from now on.
        await self.channel_layer.group_add(trip_id, self.channel_name)
        await self.send_json(
            {"type": "trip.created", "data": trip_data, "sent": timezone.now().isoformat()}
        )

    async def update_trip(self, message):
        trip_data = await self._update_trip(message.get("data") or {})
        trip_id = trip_data["id"]

        # The driver now follows the trip too; everyone on it hears the change.
        await self.channel_layer.group_add(trip_id, self.channel_name)
        await self.channel_layer.group_send(trip_id, {"type": "trip.updated", "data": trip_data})

    async def trip_created(self, event):
        await self.send_json(
            {"type": "trip.created", "data": event["data"], "sent": timezone.now().isoformat()}
        )

    async def trip_updated(self, event):
        await self.send_json(
            {"type": "trip.updated", "data": event["data"], "sent": timezone.now().isoformat()}
        )

    @database_sync_to_async
    def _is_driver(self, user):
        return user.groups.filter(name="driver").exists()

    @database_sync_to_async
    def _get_trip_ids(self, user):
        trips = Trip.objects.filter(Q(rider=user) | Q(driver=user)).exclude(status=Trip.COMPLETED)
        return [str(trip_id) for trip_id in trips.values_list("id", flat=True)]

    @database_sync_to_async
    def _create_trip(self, data):
        serializer = TripSerializer(data=data)
        serializer.is_valid(raise_exception=True)
        trip = serializer.save(rider=self.scope["user"])
        return TripSerializer(trip).data

    @database_sync_to_async
    def _update_trip(self, data):
        instance = Trip.objects.get(id=data.get("id"))
        serializer = TripSerializer(instance, data=data, partial=True)
        serializer.is_valid(raise_exception=True)
        trip = serializer.save(driver=self.scope["user"])
        return TripSerializer(trip).data
