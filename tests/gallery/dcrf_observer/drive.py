"""The recorded session: alice and bob watch the task list while alice and bob change it.

Both log in, open ``/ws/tasks/`` and ``subscribe_to_tasks``; alice also
``subscribe_instance``s task 1. Alice lists, creates and patches a task over
the websocket; bob marks task 1 done over HTTP. Every change reaches both
sockets through the model observer (and alice's instance subscription).
"""

import json

from tests.gallery.driving import Browser, SessionError, expect_json, send_json

PASSWORD = "tasks-pass-4821"

# Fixed request ids: alice's from 1, bob's from 101.
ALICE_TASKS, ALICE_TASK1, ALICE_LIST, ALICE_CREATE, ALICE_PATCH = 1, 2, 3, 4, 5
BOB_TASKS = 101


def reply(action, request_id, data=None, status=200):
    """A DCRF reply frame."""
    return {
        "errors": [],
        "data": data,
        "action": action,
        "response_status": status,
        "request_id": request_id,
    }


def task(pk, title, done, owner):
    return {"id": pk, "title": title, "done": done, "owner": owner}


async def session(base: str) -> None:
    async with Browser(base) as alice, Browser(base) as bob:
        await alice.login("/accounts/login/", "alice", PASSWORD)
        await bob.login("/accounts/login/", "bob", PASSWORD)

        a = await alice.websocket("/ws/tasks/")
        b = await bob.websocket("/ws/tasks/")

        await send_json(a, {"action": "subscribe_to_tasks", "request_id": ALICE_TASKS})
        await expect_json(a, reply("subscribe_to_tasks", ALICE_TASKS, status=201))
        await send_json(b, {"action": "subscribe_to_tasks", "request_id": BOB_TASKS})
        await expect_json(b, reply("subscribe_to_tasks", BOB_TASKS, status=201))
        await send_json(a, {"action": "subscribe_instance", "request_id": ALICE_TASK1, "pk": 1})
        await expect_json(a, reply("subscribe_instance", ALICE_TASK1, status=201))

        milk = task(1, "Buy milk", False, "alice")
        bike = task(2, "Fix the bike", False, "bob")
        await send_json(a, {"action": "list", "request_id": ALICE_LIST})
        await expect_json(a, reply("list", ALICE_LIST, [milk, bike]))

        # A task created over the websocket: alice's reply, then both observers' frames.
        report = task(3, "Write the report", False, "alice")
        await send_json(
            a, {"action": "create", "request_id": ALICE_CREATE, "data": {"title": report["title"]}}
        )
        await expect_json(a, reply("create", ALICE_CREATE, report, status=201))
        await expect_json(a, reply("create", ALICE_TASKS, report))
        await expect_json(b, reply("create", BOB_TASKS, report))

        report = task(3, "Write the quarterly report", False, "alice")
        await send_json(
            a,
            {
                "action": "patch",
                "request_id": ALICE_PATCH,
                "pk": 3,
                "data": {"title": report["title"]},
            },
        )
        await expect_json(a, reply("patch", ALICE_PATCH, report))
        await expect_json(a, reply("update", ALICE_TASKS, report))
        await expect_json(b, reply("update", BOB_TASKS, report))

        # Bob marks task 1 done over HTTP: the ORM save reaches both sockets.
        milk = task(1, "Buy milk", True, "alice")
        status, body = await bob.post("/tasks/1/done/")
        if status != 200 or json.loads(body) != milk:
            raise SessionError(f"POST /tasks/1/done/ returned {status} {body!r}")
        await expect_json(a, reply("update", ALICE_TASKS, milk))
        await expect_json(a, reply("update", ALICE_TASK1, milk))
        await expect_json(b, reply("update", BOB_TASKS, milk))

        await a.close()
        await b.close()
