"""Views that hand out, echo and take secrets, as real ones do."""

import json
import uuid

from django.conf import settings
from django.http import HttpRequest, JsonResponse
from django.middleware.csrf import get_token
from django.views.decorators.csrf import csrf_exempt

from values import ISSUED_TOKEN, REMEMBER_COOKIE


@csrf_exempt
def issue_token(request: HttpRequest) -> JsonResponse:
    """A token for the credentials posted as JSON (a login API)."""
    body = json.loads(request.body)
    return JsonResponse({"user": body["username"], "token": ISSUED_TOKEN})


def echo_query(request: HttpRequest) -> JsonResponse:
    """What the query string said, echoed (``?auth=`` among it)."""
    return JsonResponse({"you_sent": request.GET.get("auth", ""), "ok": True})


def settings_echo(request: HttpRequest) -> JsonResponse:
    """A debugging view that shows the secret key, as no view should."""
    return JsonResponse({"debug": f"running with {settings.SECRET_KEY}"})


def csrf(request: HttpRequest) -> JsonResponse:
    """The CSRF token for a single-page app, under "csrf"."""
    return JsonResponse({"csrf": get_token(request)})


@csrf_exempt
def upload(request: HttpRequest) -> JsonResponse:
    """A multipart form with a password field and a file (sent with Proxy-Authorization,
    which a proxy in between takes for itself)."""
    return JsonResponse(
        {
            "fields": sorted(request.POST),
            "files": sorted(request.FILES),
            "access_key_header": "HTTP_X_ACCESS_KEY" in request.META,
        }
    )


def remember(request: HttpRequest) -> JsonResponse:
    response = JsonResponse({"remembered": True})
    response.set_cookie("remember_me", REMEMBER_COOKIE, max_age=3600, httponly=True)
    return response


def trip(request: HttpRequest, trip: uuid.UUID) -> JsonResponse:
    """A UUID-keyed API: the id in the path, and a new one in the body."""
    return JsonResponse({"trip": str(trip), "next": str(uuid.uuid4())})


def reset(request: HttpRequest, token: str) -> JsonResponse:
    """A password-reset link: the token is the path."""
    return JsonResponse({"valid": True})


def boom(request: HttpRequest) -> JsonResponse:
    """An error: with DEBUG on, Django's technical 500 page."""
    raise RuntimeError("the zoo keeper is out")
