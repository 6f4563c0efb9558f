"""The zoo's session: every secret of values.py shown once, in its own place, and echoed.

Real clients (``tests.gallery.driving``): a login form, JSON APIs, a multipart
upload through a header-authenticated proxy, a cookie, and a websocket whose
handshake, frames, binary frames and group messages carry secrets. Also what
real apps record that is no secret: a binary digest, UUIDs in paths, a DEBUG
error page. And two of the documented gaps (values.GAPS: a token in a URL
path, one under a name that is no secret's), which lint must find. Secrets
split across two frames are out of scope (nothing can know two halves are
one secret).
"""

import base64
import json
import uuid

import aiohttp
from websockets.asyncio.client import connect
from websockets.typing import Origin

from tests.gallery.driving import Browser, SessionError, expect_json, within
from tests.secret_zoo import values


async def session(base: str) -> None:
    async with Browser(base) as carol:
        await carol.login("/login/", "carol", values.PASSWORD)
        status, body = await carol.post(
            "/api/token/", json_body={"username": "carol", "password": values.PASSWORD}
        )
        if status != 200 or json.loads(body)["token"] != values.ISSUED_TOKEN:
            raise SessionError(f"/api/token/ gave {status} {body!r}")
        status, body = await carol.get(f"/api/echo/?auth={values.AUTH_QUERY}&page=2")
        if json.loads(body)["you_sent"] != values.AUTH_QUERY:
            raise SessionError(f"/api/echo/ gave {body!r}")
        _, body = await carol.get("/api/settings/")
        if values.SECRET_KEY not in body:
            raise SessionError("the settings view did not echo")
        _, body = await carol.get("/api/csrf/")
        if not json.loads(body)["csrf"]:
            raise SessionError("no CSRF token")
        await carol.get("/api/remember/")
        await _upload(carol)
        for _ in range(3):
            status, _ = await carol.get(f"/api/trip/{uuid.uuid4()}/")
            if status != 200:
                raise SessionError(f"the trip API gave {status}")
        status, _ = await carol.get(f"/reset/{values.GAP_PATH_TOKEN}/")
        if status != 200:
            raise SessionError(f"the reset link gave {status}")
        status, _ = await carol.get("/boom/")
        if status != 500:
            raise SessionError(f"/boom/ gave {status}, not the DEBUG page's 500")
        await _socket(carol, base)


async def _upload(carol: Browser) -> None:
    form = aiohttp.FormData()
    form.add_field("username", "carol")
    form.add_field("password", values.MULTIPART_PASSWORD)
    form.add_field("picture", b"\x89PNG\r\n\x1a\n", filename="me.png", content_type="image/png")
    credentials = base64.b64encode(f"carol:{values.PROXY_PASSWORD}".encode()).decode()
    headers = {
        "Proxy-Authorization": f"Basic {credentials}",
        "X-Access-Key": values.HEADER_ACCESS_KEY,
    }
    async with carol.http.post(carol.base + "/api/upload/", data=form, headers=headers) as answer:
        body = await answer.json()
    if body != {
        "fields": ["password", "username"],
        "files": ["picture"],
        "access_key_header": True,
    }:
        raise SessionError(f"/api/upload/ gave {body!r}")


async def _socket(carol: Browser, base: str) -> None:
    cookies = "; ".join(f"{m.key}={m.value}" for m in carol.http.cookie_jar)
    url = f"{carol.ws_base}/ws/zoo/?access_key={values.ACCESS_KEY}"
    async with connect(
        url,
        origin=Origin(carol.base),
        subprotocols=["access_token", values.ISSUED_TOKEN],  # type: ignore[list-item]
        additional_headers={"Cookie": cookies},
        compression=None,
    ) as ws:
        await expect_json(ws, {"welcome": values.ACCESS_KEY})
        if (
            await within(ws.recv(), "the remembered cookie")
            != f"remembered {values.REMEMBER_COOKIE}"
        ):
            raise SessionError("the cookie was not echoed")
        await ws.send(json.dumps({"credentials": {"pass": values.CREDENTIAL_PASS}, "room": "a"}))
        await expect_json(ws, {"got": ["credentials", "room"]})
        await ws.send(json.dumps({"refreshToken": values.REFRESH_TOKEN}))
        await expect_json(ws, {"got": ["refreshToken"]})
        await ws.send(
            json.dumps(
                {
                    "API_KEY": values.UPPER_API_KEY,
                    "api-key": values.KEBAB_API_KEY,
                    "pin": values.PIN,
                }
            )
        )
        await expect_json(ws, {"got": ["API_KEY", "api-key", "pin"]})
        await ws.send(json.dumps({"msg": json.dumps({"password": values.NESTED_PASSWORD})}))
        await expect_json(ws, {"got": ["msg"]})
        await ws.send(json.dumps({"password": values.BINARY_PASSWORD}).encode())
        await expect_json(ws, {"got_binary": ["password"]})
        await ws.send(b"\x00\x01 an upload of bytes \xff")
        digest = await within(ws.recv(), "the upload's digest")
        if not isinstance(digest, bytes) or len(digest) != 32:
            raise SessionError(f"expected a digest, got {digest!r}")
        await ws.send(json.dumps({"share": {"apiKey": values.LAYER_API_KEY}}))
        await expect_json(ws, {"note": "shared", "apiKey": values.LAYER_API_KEY})
        await ws.send(json.dumps({"note": values.GAP_UNNAMED}))
        await expect_json(ws, {"got": ["note"]})
        await ws.send(f"login carol {values.PASSWORD}")
        if await within(ws.recv(), "noted") != "noted":
            raise SessionError("the chat line was not noted")
