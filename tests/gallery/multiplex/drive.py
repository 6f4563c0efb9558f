"""The recorded session: alice and bob chat over one multiplexed socket each.

alice joins four rooms and bob only the lobby, so when alice's socket closes
and she leaves every room she is in, bob sees exactly one leave.
"""

from tests.gallery.driving import Browser, SessionError, expect_json, send_json, within

PASSWORDS = {"alice": "multiplex-pass-1", "bob": "bobs-own-secret-9"}
ROOMS = ("lobby", "games", "music", "news")


def enter(room: str, username: str) -> dict[str, str]:
    return {"msg_type": "enter", "room": room, "username": username}


def leave(room: str, username: str) -> dict[str, str]:
    return {"msg_type": "leave", "room": room, "username": username}


def message(room: str, username: str, text: str) -> dict[str, str]:
    return {"msg_type": "message", "room": room, "username": username, "message": text}


async def session(base: str) -> None:
    async with Browser(base) as alice, Browser(base) as bob:
        for browser, name in ((alice, "alice"), (bob, "bob")):
            await browser.login("/accounts/login/", name, PASSWORDS[name])
            status, page = await browser.get("/")
            if status != 200 or f"Logged in as {name}" not in page:
                raise SessionError(f"GET / as {name} returned {status}")
        a = await alice.websocket("/ws/")
        b = await bob.websocket("/ws/")

        for room in ROOMS:
            await send_json(a, {"command": "join", "room": room})
            await expect_json(a, {"join": room})

        await send_json(b, {"command": "join", "room": "lobby"})
        await expect_json(b, {"join": "lobby"})
        await expect_json(a, enter("lobby", "bob"))

        await send_json(a, {"command": "send", "room": "lobby", "message": "hi bob"})
        await expect_json(a, message("lobby", "alice", "hi bob"))
        await expect_json(b, message("lobby", "alice", "hi bob"))

        await send_json(b, {"command": "send", "room": "lobby", "message": "hello alice"})
        await expect_json(a, message("lobby", "bob", "hello alice"))
        await expect_json(b, message("lobby", "bob", "hello alice"))

        await send_json(a, {"command": "send", "room": "games", "message": "chess anyone?"})
        await expect_json(a, message("games", "alice", "chess anyone?"))

        # bob leaves the lobby: his reply comes first, then his own leave broadcast
        await send_json(b, {"command": "leave", "room": "lobby"})
        await expect_json(b, {"leave": "lobby"})
        await expect_json(b, leave("lobby", "bob"))
        await expect_json(a, leave("lobby", "bob"))

        await send_json(b, {"command": "join", "room": "lobby"})
        await expect_json(b, {"join": "lobby"})
        await expect_json(a, enter("lobby", "bob"))

        # alice closes her tab: she leaves all four rooms, bob sees the lobby one
        await within(a.close(), "alice's socket to close")
        await expect_json(b, leave("lobby", "alice"))

        await within(b.close(), "bob's socket to close")
