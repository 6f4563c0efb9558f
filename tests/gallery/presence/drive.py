"""The recorded session: four people come and go in room ``lobby``, an anonymous one is refused.

Bob leaves with a normal close, carol types ``/quit`` (the server closes her
socket), dave's client vanishes without a close frame; alice sees each leave.
"""

from tests.gallery.driving import (
    Browser,
    SessionError,
    closed_by_server,
    expect_json,
    send_json,
)

PASSWORD = "correct-horse-42"
ROOM = "/ws/rooms/lobby/"


def join(user: str) -> dict[str, str]:
    return {"type": "user_join", "user": user}


def leave(user: str) -> dict[str, str]:
    return {"type": "user_leave", "user": user}


async def session(base: str) -> None:
    async with (
        Browser(base) as alice,
        Browser(base) as bob,
        Browser(base) as carol,
        Browser(base) as dave,
        Browser(base) as stranger,
    ):
        # 1. alice and bob join the lobby
        await alice.login("/accounts/login/", "alice", PASSWORD)
        alice_ws = await alice.websocket(ROOM)
        await expect_json(alice_ws, join("alice"))

        await bob.login("/accounts/login/", "bob", PASSWORD)
        bob_ws = await bob.websocket(ROOM)
        await expect_json(bob_ws, join("bob"))
        await expect_json(alice_ws, join("bob"))

        # 2. bob says hello, both see it
        await send_json(bob_ws, {"message": "hello everyone"})
        said = {"type": "chat_message", "user": "bob", "message": "hello everyone"}
        await expect_json(bob_ws, said)
        await expect_json(alice_ws, said)

        # 3. bob closes his tab
        await bob_ws.close()
        await expect_json(alice_ws, leave("bob"))

        # 4. carol joins, then types /quit and the server closes her socket
        await carol.login("/accounts/login/", "carol", PASSWORD)
        carol_ws = await carol.websocket(ROOM)
        await expect_json(carol_ws, join("carol"))
        await expect_json(alice_ws, join("carol"))
        await send_json(carol_ws, {"message": "/quit"})
        await expect_json(carol_ws, {"type": "goodbye", "message": "Bye, carol!"})
        code = await closed_by_server(carol_ws)
        if code != 1000:
            raise SessionError(f"carol's socket closed with {code}, not 1000")
        await expect_json(alice_ws, leave("carol"))

        # 5. dave joins, then his client vanishes without a close frame
        await dave.login("/accounts/login/", "dave", PASSWORD)
        dave_ws = await dave.websocket(ROOM)
        await expect_json(dave_ws, join("dave"))
        await expect_json(alice_ws, join("dave"))
        dave_ws.transport.abort()
        await expect_json(alice_ws, leave("dave"))

        # 6. someone not logged in is turned away at the handshake
        status = await stranger.refused(ROOM)
        if status != 403:
            raise SessionError(f"the anonymous handshake was refused with {status}, not 403")

        # 7. alice leaves last
        await alice_ws.close()
