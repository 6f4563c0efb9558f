"""The recorded session: alice and bob chat in the lobby, bob posts once in a new room."""

from tests.gallery.driving import Browser, SessionError, expect_json, send_json

PASSWORD = "wonderland-7"
WELCOME = {"id": 1, "author": "alice", "content": "welcome"}


def message(id: int, author: str, content: str) -> dict[str, object]:
    return {"type": "message", "id": id, "author": author, "content": content}


async def session(base: str) -> None:
    async with Browser(base) as alice, Browser(base) as bob:
        await alice.login("/accounts/login/", "alice", PASSWORD)
        await bob.login("/accounts/login/", "bob", PASSWORD)
        for who, browser in (("alice", alice), ("bob", bob)):
            status, page = await browser.get("/chat/lobby/")
            if status != 200 or f"Logged in as {who}" not in page:
                raise SessionError(f"GET /chat/lobby/ as {who} returned {status}")

        alice_lobby = await alice.websocket("/ws/chat/lobby/")
        await expect_json(alice_lobby, {"type": "history", "messages": [WELCOME]})
        bob_lobby = await bob.websocket("/ws/chat/lobby/")
        await expect_json(bob_lobby, {"type": "history", "messages": [WELCOME]})

        for id, (author, ws, text) in enumerate(
            [
                ("alice", alice_lobby, "hi bob"),
                ("bob", bob_lobby, "hi alice, how are you?"),
                ("alice", alice_lobby, "fine, thanks"),
            ],
            start=2,
        ):
            await send_json(ws, {"message": text})
            for each in (alice_lobby, bob_lobby):
                await expect_json(each, message(id, author, text))

        bob_random = await bob.websocket("/ws/chat/random/")
        await expect_json(bob_random, {"type": "history", "messages": []})
        await send_json(bob_random, {"message": "anyone here?"})
        await expect_json(bob_random, message(5, "bob", "anyone here?"))
        await bob_random.close()

        await alice_lobby.close()
        await bob_lobby.close()
