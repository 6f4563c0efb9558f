"""The recorded session: a rider signs up, requests a trip over the socket, a driver takes it."""

import json
from typing import Any

from tests.gallery.driving import Browser, SessionError, receive_json, send_json, within

PASSWORD = "rides-pass-6137"
TRIP = {"pick_up_address": "123 Main Street", "drop_off_address": "456 Elm Street"}


async def expect(what: str, got: tuple[int, str], status: int) -> Any:
    """Check an HTTP answer's status; its JSON body."""
    code, text = got
    if code != status:
        raise SessionError(f"{what}: expected {status}, got {code} {text[:300]!r}")
    return json.loads(text)


async def access_token(browser: Browser, username: str) -> str:
    """Log in through Simple JWT's token view, as the front end does; the access token."""
    answer = await browser.post(
        "/api/token/", json_body={"username": username, "password": PASSWORD}
    )
    tokens = await expect(f"POST /api/token/ as {username}", answer, 200)
    if not {"access", "refresh"} <= tokens.keys():
        raise SessionError(f"POST /api/token/ as {username}: no tokens in {tokens!r}")
    return tokens["access"]


async def get_with_bearer(browser: Browser, path: str, token: str) -> tuple[int, str]:
    """GET ``path`` as the front end's fetch() does, with the access token."""
    headers = {"Authorization": f"Bearer {token}"}
    async with browser.http.get(browser.base + path, headers=headers) as response:
        return response.status, await response.text()


async def expect_trip(ws: Any, what: str, kind: str, **fields: Any) -> dict[str, Any]:
    """Receive one frame of ``kind`` carrying a trip with ``fields``; the trip."""
    frame = await receive_json(ws, what)
    trip = frame.get("data") if isinstance(frame, dict) else None
    if frame.get("type") != kind or "sent" not in frame or not isinstance(trip, dict):
        raise SessionError(f"{what}: expected a {kind} frame, got {frame!r}")
    for key, value in fields.items():
        if trip.get(key) != value:
            raise SessionError(f"{what}: expected {key}={value!r}, got {frame!r}")
    return trip


async def session(base: str) -> None:
    async with Browser(base) as rider, Browser(base) as driver:
        signup = {
            "username": "rider",
            "password1": PASSWORD,
            "password2": PASSWORD,
            "first_name": "Rita",
            "last_name": "Rider",
        }
        created = await expect(
            "POST /api/sign_up/", await rider.post("/api/sign_up/", json_body=signup), 201
        )
        if created.get("username") != "rider" or "password1" in created:
            raise SessionError(f"POST /api/sign_up/: unexpected answer {created!r}")

        rider_token = await access_token(rider, "rider")
        driver_token = await access_token(driver, "driver")

        driver_ws = await driver.websocket(f"/ws/trips/?token={driver_token}")
        rider_ws = await rider.websocket(f"/ws/trips/?token={rider_token}")

        await send_json(rider_ws, {"type": "create.trip", "data": TRIP})
        requested = {**TRIP, "status": "REQUESTED", "rider": "rider", "driver": None}
        trip = await expect_trip(rider_ws, "the rider's new trip", "trip.created", **requested)
        offered = await expect_trip(
            driver_ws, "the drivers' broadcast", "trip.created", id=trip["id"], **requested
        )

        await send_json(
            driver_ws, {"type": "update.trip", "data": {"id": offered["id"], "status": "STARTED"}}
        )
        started = {**requested, "id": trip["id"], "status": "STARTED", "driver": "driver"}
        await expect_trip(driver_ws, "the driver's update", "trip.updated", **started)
        await expect_trip(rider_ws, "the rider's update", "trip.updated", **started)

        path = f"/api/trips/{trip['id']}/"
        fetched = await expect(
            f"GET {path}", await within(get_with_bearer(rider, path, rider_token), "the GET"), 200
        )
        if {key: fetched.get(key) for key in started} != started:
            raise SessionError(f"GET {path}: expected {started!r}, got {fetched!r}")

        for ws in (rider_ws, driver_ws):
            await within(ws.close(), "the socket to close")
