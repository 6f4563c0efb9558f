from django.http import HttpResponse


def index(request):
    return HttpResponse(
        "<!doctype html><title>echo</title>"
        "<script>const ws = new WebSocket(`ws://${location.host}/ws/echo/`);</script>"
    )
