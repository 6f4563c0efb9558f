"""Plain Django views of the example project."""

from __future__ import annotations

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.html import format_html, format_html_join
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from chat.models import Note

DEMO_ROOMS = ("lobby", "random")


def index(request: HttpRequest) -> HttpResponse:
    """A bare HTML page linking to the demo pages."""
    links = [(reverse("room", args=[room]), f"Chat room {room!r}") for room in DEMO_ROOMS]
    links.append((reverse("login"), "Log in"))
    items = format_html_join("", '<li><a href="{}">{}</a></li>', links)
    html = format_html(
        "<!DOCTYPE html><html><head><title>chanreplay example</title></head>"
        "<body><h1>chanreplay example</h1><ul>{}</ul></body></html>",
        items,
    )
    return HttpResponse(html)


def room(request: HttpRequest, room: str) -> HttpResponse:
    """The chat page; ``chat/room.js`` connects it to ``/ws/chat/<room>/``."""
    return render(request, "chat/room.html", {"room": room})


@csrf_exempt
@require_POST
def announce(request: HttpRequest, room: str) -> JsonResponse:
    """Send a ``chat.announcement`` to a room from a view (outside any consumer)."""
    channel_layer = get_channel_layer()
    if channel_layer is None:
        return JsonResponse({"ok": False, "error": "no channel layer"}, status=503)
    async_to_sync(channel_layer.group_send)(
        f"chat_{room}",
        {"type": "chat.announcement", "text": request.POST.get("text", "")},
    )
    return JsonResponse({"ok": True})


@csrf_exempt
@require_POST
def create_note(request: HttpRequest) -> JsonResponse:
    """Create a note for the logged-in user; the ``post_save`` signal announces it."""
    if not request.user.is_authenticated:
        return JsonResponse({"error": "authentication required"}, status=403)
    note = Note.objects.create(owner=request.user, text=request.POST.get("text", ""))
    return JsonResponse({"id": note.pk})
