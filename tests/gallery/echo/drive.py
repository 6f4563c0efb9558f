"""The recorded session: a page load, then an echo socket used and closed by the server."""

from tests.gallery.driving import Browser, SessionError, closed_by_server, expect_json, within


async def session(base: str) -> None:
    async with Browser(base) as browser:
        status, _ = await browser.get("/")
        if status != 200:
            raise SessionError(f"GET / returned {status}")
        ws = await browser.websocket("/ws/echo/")
        await ws.send("hello")
        if await within(ws.recv(), "the echo") != "echo: hello":
            raise SessionError("no echo")
        await ws.send('{"greeting": "hi", "n": 2}')
        await expect_json(ws, {"echo": {"greeting": "hi", "n": 2}, "keys": 2})
        await ws.send(b"\x00\x01abc")
        if await within(ws.recv(), "the reversed bytes") != b"cba\x01\x00":
            raise SessionError("bytes not reversed")
        await ws.send("bye")
        code = await closed_by_server(ws)
        if code != 4000:
            raise SessionError(f"closed with {code}, not 4000")
