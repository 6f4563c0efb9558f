"""The recorded session: a visitor, alice and a new sign-up watch the feed while posts change."""

import json

from tests.gallery.driving import Browser, SessionError, expect_json, within

PASSWORD = "feed-pass-4821"


async def expect(what: str, got: tuple[int, str], status: int, body: object = None) -> None:
    """Check an HTTP answer's status and, when given, its JSON body."""
    code, text = got
    if code != status:
        raise SessionError(f"{what}: expected {status}, got {code} {text[:300]!r}")
    if body is not None and json.loads(text) != body:
        raise SessionError(f"{what}: expected {body!r}, got {text[:300]!r}")


async def patch(browser: Browser, path: str, payload: object) -> tuple[int, str]:
    """PATCH JSON to ``path`` as the page's fetch() would, with the CSRF header."""
    headers = {"X-CSRFToken": browser.cookie("csrftoken") or ""}
    request = browser.http.patch(browser.base + path, json=payload, headers=headers)
    async with request as response:
        return response.status, await response.text()


async def session(base: str) -> None:
    async with Browser(base) as visitor, Browser(base) as alice, Browser(base) as newbie:
        visitor_ws = await visitor.websocket("/ws/feed/")

        await alice.login("/accounts/login/", "alice", PASSWORD)
        alice_ws = await alice.websocket("/ws/feed/")

        first = {"id": 1, "author": "alice", "title": "Hello feed", "published": False}
        answer = await alice.post(
            "/api/posts/", json_body={"title": "Hello feed", "body": "First!", "published": False}
        )
        await expect("POST /api/posts/", answer, 201, {**first, "body": "First!"})
        for ws in (visitor_ws, alice_ws):
            await expect_json(ws, {"action": "created", "post": first})

        published = {**first, "published": True}
        answer = await within(patch(alice, "/api/posts/1/", {"published": True}), "the PATCH")
        await expect("PATCH /api/posts/1/", answer, 200, {**published, "body": "First!"})
        for ws in (visitor_ws, alice_ws):
            await expect_json(ws, {"action": "updated", "post": published})

        await expect("GET /signup/", await newbie.get("/signup/"), 200)
        form = {
            "username": "newbie",
            "password1": PASSWORD,
            "password2": PASSWORD,
            "csrfmiddlewaretoken": newbie.cookie("csrftoken") or "",
        }
        await expect("POST /signup/", await newbie.post("/signup/", form=form), 302)
        if newbie.cookie("sessionid") is None:
            raise SessionError("signing up did not log newbie in")
        newbie_ws = await newbie.websocket("/ws/feed/")

        listed = [{**published, "body": "First!"}]
        await expect("GET /api/posts/", await newbie.get("/api/posts/"), 200, listed)

        second = {"id": 2, "author": "newbie", "title": "Hi all", "published": True}
        answer = await newbie.post(
            "/api/posts/", json_body={"title": "Hi all", "body": "Just joined.", "published": True}
        )
        await expect("POST /api/posts/", answer, 201, {**second, "body": "Just joined."})
        for ws in (visitor_ws, alice_ws, newbie_ws):
            await expect_json(ws, {"action": "created", "post": second})

        for ws in (visitor_ws, alice_ws, newbie_ws):
            await within(ws.close(), "the socket to close")
