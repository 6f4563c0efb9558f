"""The recorded session: consumers that raise, at the handshake and on a message.

An anonymous socket is refused with 500 (``KeyError`` in ``connect``); alice's
first socket dies with 1011 when she deletes a note that does not exist
(``Note.DoesNotExist`` out of ``receive_json``), while bob's socket goes on.
"""

from tests.gallery.driving import Browser, SessionError, closed_by_server, expect_json, send_json

PASSWORD = "notes-pass-2024"


async def session(base: str) -> None:
    async with Browser(base) as anonymous, Browser(base) as alice, Browser(base) as bob:
        status = await anonymous.refused("/ws/notes/")
        if status != 500:
            raise SessionError(f"the anonymous handshake was refused with {status}, not 500")

        await alice.login("/accounts/login/", "alice", PASSWORD)
        a = await alice.websocket("/ws/notes/")
        await expect_json(a, {"type": "hello", "count": 0})
        await send_json(a, {"action": "add", "text": "buy milk"})
        await expect_json(a, {"type": "added", "id": 1, "text": "buy milk"})
        await send_json(a, {"action": "add", "text": "call mum"})
        await expect_json(a, {"type": "added", "id": 2, "text": "call mum"})

        await bob.login("/accounts/login/", "bob", PASSWORD)
        b = await bob.websocket("/ws/notes/")
        await expect_json(b, {"type": "hello", "count": 0})
        await send_json(b, {"action": "add", "text": "fix the bike"})
        await expect_json(b, {"type": "added", "id": 3, "text": "fix the bike"})

        await send_json(a, {"action": "delete", "id": 999})
        code = await closed_by_server(a)
        if code != 1011:
            raise SessionError(f"alice's socket closed with {code}, not 1011")

        await send_json(b, {"action": "add", "text": "water the plants"})
        await expect_json(b, {"type": "added", "id": 4, "text": "water the plants"})

        a2 = await alice.websocket("/ws/notes/")
        await expect_json(a2, {"type": "hello", "count": 2})
        await send_json(a2, {"action": "delete", "id": 1})
        await expect_json(a2, {"type": "deleted", "id": 1})

        await b.close()
        await a2.close()
