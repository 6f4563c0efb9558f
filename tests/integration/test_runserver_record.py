"""``runserver --record`` end to end: a real server, real clients, the cassette on disk."""

from __future__ import annotations

import json
import re
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from websockets.sync.client import connect
from websockets.typing import Origin

from chanreplay.cassette import Cassette, load
from chanreplay.diff import diff_cassettes, render_text
from tests.servers import EXAMPLE_PROJECT, ServerFactory, run_session

pytestmark = pytest.mark.server

PASSWORD = "wonderland-secret-1"
DAPHNE_CHECK_INTERVAL = 1.0
"""Seconds between daphne's sweeps of finished connections (``application_checker``)."""


def paths(cassette: Cassette) -> list[tuple[str, str, str]]:
    """(id, type, path) of every connection, in order."""
    return [(c.id, c.type, c.path) for c in cassette.connections]


def messages(cassette: Cassette, connection_id: str, direction: str) -> list[dict[str, Any]]:
    """The ASGI messages of one connection in one direction."""
    return [
        e["message"] for e in cassette.connection(connection_id).events if e["dir"] == direction
    ]


def layer_ops(cassette: Cassette, connection_id: str) -> list[tuple[str, str]]:
    """(op, group or channel) of one connection's layer events."""
    return [
        (e["op"], e.get("group") or e.get("channel", ""))
        for e in cassette.connection(connection_id).events
        if e["dir"] == "layer"
    ]


def wait_for(predicate: Any, timeout: float = 10) -> None:
    """Poll ``predicate`` until it is true (generous timeout: no speed is asserted)."""
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError("condition not met in time")
        time.sleep(0.05)


def record_session(
    servers: ServerFactory, name: str = "session", **env: str
) -> tuple[Path, dict[str, str]]:
    """Record the scripted session with a fresh server; return the cassette path and cookies."""
    server = servers.runserver(record=name, **env)
    cookies = run_session(server.base)
    assert server.stop() == 0, server.output()
    return servers.cassette_dir / f"{name}.json", cookies


def test_records_every_connection_of_the_scripted_session(servers: ServerFactory) -> None:
    """Every connection of the session is recorded in order, with its user and its messages."""
    path, _ = record_session(servers)
    cassette = load(path)
    assert paths(cassette) == [
        ("c1", "http", "/login/"),
        ("c2", "http", "/login/"),
        ("c3", "http", "/"),
        ("c4", "websocket", "/ws/chat/lobby/"),
        ("c5", "websocket", "/ws/chat/lobby/"),
        ("c6", "http", "/announce/lobby/"),
        ("c7", "websocket", "/ws/notes/"),
        ("c8", "websocket", "/ws/echo/"),
        ("c9", "websocket", "/ws/binary/"),
        ("c10", "http", "/api/stats/"),
    ]
    users = {c.id: c.user for c in cassette.connections}
    assert users["c2"] is None  # the login request itself is anonymous
    assert users["c4"] == {"username": "alice"}
    assert users["c5"] is None
    assert users["c7"] == {"username": "alice"}
    assert all(c.closed for c in cassette.connections), [
        c.id for c in cassette.connections if not c.closed
    ]
    assert not (servers.cassette_dir / ".session.journal").exists()


def test_websocket_frames_and_layer_operations_are_attributed_in_order(
    servers: ServerFactory,
) -> None:
    """Chat frames, group joins and broadcasts land on the right connection, in order."""
    cassette = load(record_session(servers)[0])
    inbound = [m["type"] for m in messages(cassette, "c4", "in")]
    assert inbound == [
        "websocket.connect",
        "websocket.receive",
        "websocket.disconnect",
    ]
    sent = [m["text"]["$json"] for m in messages(cassette, "c4", "out")[1:]]
    assert sent == [
        {"type": "message", "message": "hello", "user": "alice", "room": "lobby"},
        {"type": "message", "message": "hi alice", "user": "anonymous", "room": "lobby"},
        {"type": "announcement", "text": "server maintenance"},
    ]
    assert layer_ops(cassette, "c4") == [
        ("new_channel", "<channel:c4>"),
        ("group_add", "chat_lobby"),
        ("group_send", "chat_lobby"),
        ("receive", "<channel:c4>"),
        ("receive", "<channel:c4>"),
        ("receive", "<channel:c4>"),
        ("group_discard", "chat_lobby"),
    ]
    # The announcement view's group_send belongs to the HTTP connection.
    assert ("group_send", "chat_lobby") in layer_ops(cassette, "c6")


def test_frames_caused_by_another_connection_carry_its_step(servers: ServerFactory) -> None:
    """B's copy of A's chat message carries the step of A's input, not one of B's."""
    cassette = load(record_session(servers)[0])
    a_input = next(
        e
        for e in cassette.connection("c4").events
        if e["dir"] == "in" and e["message"]["type"] == "websocket.receive"
    )
    b_copy = next(
        e
        for e in cassette.connection("c5").events
        if e["dir"] == "out"
        and e["message"].get("text", {}).get("$json", {}).get("message") == "hello"
    )
    assert b_copy["step"] == a_input["step"]


def test_binary_frames_and_http_bodies_are_tagged(servers: ServerFactory) -> None:
    """Binary frames are base64 bytes; JSON HTTP bodies are stored as structure."""
    cassette = load(record_session(servers)[0])
    binary_in = messages(cassette, "c9", "in")[1]
    assert binary_in["bytes"] == {"$bytes": "AAECY2hhbnJlcGxhef8="}
    assert messages(cassette, "c9", "out")[1]["bytes"] == {"$bytes": "/3lhbHBlcm5haGMCAQA="}
    body = messages(cassette, "c10", "out")[1]["body"]
    assert body == {"$bytes_json": {"notes": 1, "path": "/api/stats/"}}


def test_no_secret_reaches_the_cassette(servers: ServerFactory) -> None:
    """Session id, CSRF token and password appear nowhere in the file; names stay."""
    path, cookies = record_session(servers)
    text = path.read_text()
    assert {"sessionid", "csrftoken"} <= set(cookies)
    for secret in [*cookies.values(), PASSWORD]:
        assert secret not in text
    # Cookies the session's login made are bindings: named, never written.
    assert re.search(r"set-cookie: sessionid=<token:\d+>;", text)
    assert re.search(r"cookie: csrftoken=<token:\d+>; sessionid=<token:\d+>", text)
    assert "password=<redacted>" in text
    assert re.search(r"csrfmiddlewaretoken=<token:\d+>", text)
    assert "sec-websocket-key: <redacted>" in text


def test_recording_the_same_session_twice_gives_identical_bytes(
    servers: ServerFactory, fresh_servers: Callable[[], ServerFactory]
) -> None:
    """No times, ports, random channel names or cookie values make two recordings differ."""
    first, _ = record_session(servers, "first")
    second, _ = record_session(fresh_servers(), "first")
    assert first.read_bytes() == second.read_bytes()


def test_cassette_is_written_while_the_server_runs(servers: ServerFactory) -> None:
    """Shortly after connections close the cassette on disk loads and holds them all."""
    server = servers.runserver()
    run_session(server.base)
    cassette_path = servers.cassette_dir / "session.json"

    def complete() -> bool:
        try:
            return len(load(cassette_path).connections) == 10
        except Exception:
            return False

    wait_for(complete)
    assert server.process.poll() is None
    server.stop()


def test_sigkill_leaves_a_journal_that_recover_turns_into_a_cassette(
    servers: ServerFactory,
) -> None:
    """After SIGKILL, `chanreplay recover` rebuilds a loading cassette with every connection."""
    server = servers.runserver(reload=True)
    run_session(server.base)
    journal = servers.cassette_dir / ".session.journal"
    wait_for(lambda: journal.exists() and journal.read_bytes().count(b'"k":"close"') == 10)
    server.kill()
    (servers.cassette_dir / "session.json").unlink(missing_ok=True)
    result = subprocess.run(
        [sys.executable, "-m", "chanreplay", "recover", str(servers.cassette_dir)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert "recovered" in result.stdout
    assert len(load(servers.cassette_dir / "session.json").connections) == 10
    assert not journal.exists()


def test_starting_again_after_a_kill_recovers_first(servers: ServerFactory) -> None:
    """A new run finds the dead run's journal, recovers it, and (mode once) refuses to overwrite."""
    server = servers.runserver()
    run_session(server.base)
    journal = servers.cassette_dir / ".session.journal"
    wait_for(lambda: journal.read_bytes().count(b'"k":"close"') == 10)
    server.kill()
    (servers.cassette_dir / "session.json").unlink(missing_ok=True)
    again = servers.runserver(wait=False)
    assert again.process.wait(60) != 0
    output = again.output()
    assert "recovered an interrupted recording (10 connections" in output
    assert "--record-mode all" in output
    assert len(load(servers.cassette_dir / "session.json").connections) == 10


def test_record_mode_new_episodes_appends_and_all_overwrites(servers: ServerFactory) -> None:
    """new_episodes keeps the recorded connections and continues their numbering."""
    record_session(servers)
    server = servers.runserver("--record-mode", "new_episodes")
    run_session(server.base)
    server.stop()
    cassette = load(servers.cassette_dir / "session.json")
    assert [c.id for c in cassette.connections] == [f"c{i}" for i in range(1, 21)]
    steps = [c.step for c in cassette.connections]
    assert steps == sorted(steps)

    server = servers.runserver("--record-mode", "all")
    run_session(server.base)
    server.stop()
    assert len(load(servers.cassette_dir / "session.json").connections) == 10


def test_ctrl_c_finalises_the_cassette_with_the_autoreloader(servers: ServerFactory) -> None:
    """Ctrl-C (SIGINT to the process group) leaves a final cassette and no journal."""
    server = servers.runserver(reload=True)
    run_session(server.base)
    server.interrupt()
    assert "chanreplay: wrote" in server.output()
    assert len(load(servers.cassette_dir / "session.json").connections) == 10
    assert not (servers.cassette_dir / ".session.journal").exists()


def test_autoreload_keeps_the_recording(servers: ServerFactory, tmp_path: Path) -> None:
    """A code change restarts the server process; the recording continues in the same cassette."""
    import asyncio

    from websockets.asyncio.client import connect
    from websockets.exceptions import WebSocketException

    watched = EXAMPLE_PROJECT / "chat" / "consumers.py"
    server = servers.runserver(reload=True)
    origin = f"http://127.0.0.1:{server.port}"

    async def echo(open_only: bool = False) -> Any:
        ws = await connect(f"ws://127.0.0.1:{server.port}/ws/echo/", origin=origin)  # type: ignore[arg-type]
        await ws.send("before" if open_only else "after")
        assert (await ws.recv()).startswith("echo: ")
        if open_only:
            return ws
        await ws.close()
        return None

    async def scenario() -> None:
        left_open = await echo(open_only=True)
        log_size = len(server.output())
        # The reloader only notices a change to a file it has already seen once,
        # and it scans once a second: let it see consumers.py first.
        await asyncio.sleep(2.5)
        watched.touch()
        # Wait for the restarted server process to announce itself.
        for _ in range(300):
            await asyncio.sleep(0.1)
            if "Quit the server" in server.output()[log_size:]:
                break
        for _ in range(200):
            try:
                await echo()
                break
            except (OSError, WebSocketException):  # the server is still restarting
                await asyncio.sleep(0.1)
        else:
            raise AssertionError(server.output())
        await left_open.close()

    asyncio.run(scenario())
    server.stop()
    cassette = load(servers.cassette_dir / "session.json")
    assert [c.id for c in cassette.connections] == ["c1", "c2"]
    first, second = cassette.connections
    assert not first.closed  # the restart cut it: marked as never closed
    assert second.closed
    assert second.step > max(e["step"] for e in first.events)
    assert messages(cassette, "c2", "in")[1]["text"] == "after"


def test_a_reload_under_traffic_cuts_connections_cleanly_and_loses_nothing(
    servers: ServerFactory,
) -> None:
    """Sockets busy (sync echo, async group chat) while the code changes: the reload cuts
    them as plain runserver does (no error close, nothing raised into the application while
    the server process shuts down), they are marked as never closed, and every message a
    client saw answered is in the cassette."""
    import asyncio

    from websockets.asyncio.client import connect as connect_async
    from websockets.exceptions import ConnectionClosed

    watched = EXAMPLE_PROJECT / "chat" / "consumers.py"
    server = servers.runserver(reload=True)
    origin = Origin(f"http://127.0.0.1:{server.port}")
    answered: list[str] = []

    async def busy(path: str, number: int, payload: Callable[[str], str]) -> int:
        ws = await connect_async(f"ws://127.0.0.1:{server.port}{path}", origin=origin)
        sequence = 0
        try:
            while True:
                text = f"s{number}-{sequence}"
                await ws.send(payload(text))
                await ws.recv()
                answered.append(text)
                sequence += 1
        except ConnectionClosed:
            return ws.close_code if ws.close_code is not None else 1006

    async def scenario() -> list[int]:
        log_size = len(server.output())
        await asyncio.sleep(2.5)  # the reloader must have seen consumers.py once
        sockets = [
            asyncio.create_task(busy("/ws/echo/", n, lambda text: text)) for n in range(3)
        ] + [
            asyncio.create_task(
                busy(f"/ws/chat/room{n}/", n + 3, lambda text: json.dumps({"message": text}))
            )
            for n in range(3)
        ]
        await asyncio.sleep(0.5)
        watched.touch()
        codes = await asyncio.wait_for(asyncio.gather(*sockets), 60)
        for _ in range(300):  # the new server process, before Ctrl-C reaches it
            if "Quit the server" in server.output()[log_size:]:
                break
            await asyncio.sleep(0.1)
        return codes

    codes = asyncio.run(scenario())
    server.stop()
    output = server.output()
    assert "Traceback" not in output, output
    assert set(codes) == {1006}, codes  # cut, as plain runserver cuts; 1011 is an app error
    cassette = load(servers.cassette_dir / "session.json")
    sockets = [c for c in cassette.connections if c.type == "websocket"]
    assert len(sockets) == 6
    assert not any(c.closed for c in sockets)
    received = {
        # A JSON text frame is kept as its JSON value.
        m["text"]["$json"]["message"] if isinstance(m["text"], dict) else m["text"]
        for c in sockets
        for m in messages(cassette, c.id, "in")
        if m["type"] == "websocket.receive"
    }
    assert len(answered) > 60  # traffic really was flowing
    lost = [text for text in answered if text not in received]
    assert not lost, f"{len(lost)} of {len(answered)} answered messages lost: {lost[:30]}"


def test_recording_refuses_to_start_with_debug_off(servers: ServerFactory) -> None:
    """DEBUG = False makes --record fail with a clear message, unless forced."""
    refused = servers.runserver(wait=False, EXAMPLE_DEBUG="0")
    assert refused.process.wait(60) != 0
    assert "refusing to record with DEBUG = False" in refused.output()
    assert "--record-force" in refused.output()
    not_forced = servers.runserver(wait=False, EXAMPLE_DEBUG="0", CHANREPLAY_FORCE="0")
    assert not_forced.process.wait(60) != 0  # CHANREPLAY_FORCE=0 does not force
    assert "refusing to record with DEBUG = False" in not_forced.output()
    forced = servers.runserver("--record-force", EXAMPLE_DEBUG="0")
    run_session(forced.base)
    forced.stop()
    assert "recording with DEBUG = False, as forced" in forced.output()
    assert len(load(servers.cassette_dir / "session.json").connections) == 10


def test_two_servers_recording_one_name_at_once_one_records_and_the_other_exits(
    servers: ServerFactory,
) -> None:
    """Started at the same moment with the autoreloader: the loser says another server is
    recording and exits non-zero, without having said it records; the winner records."""
    import time

    pair = [servers.runserver(reload=True, wait=False) for _ in range(2)]
    deadline = time.monotonic() + 60
    while all(s.process.poll() is None for s in pair) and time.monotonic() < deadline:
        time.sleep(0.1)
    losers = [s for s in pair if s.process.poll() is not None]
    assert len(losers) == 1, [s.output() for s in pair]
    (loser,) = losers
    (winner,) = [s for s in pair if s is not loser]
    assert loser.process.returncode != 0
    assert "another server is recording 'session' right now" in loser.output()
    assert "recording into" not in loser.output()
    winner.wait_ready()
    run_session(winner.base)
    assert winner.interrupt() == 0
    assert len(load(servers.cassette_dir / "session.json").connections) == 10


def test_an_empty_record_name_is_refused(servers: ServerFactory) -> None:
    """``--record ""`` would serve and record nothing: it is an error naming the option."""
    empty = servers.runserver("--record", "", record=None, wait=False)
    assert empty.process.wait(60) != 0
    assert "--record needs a NAME" in empty.output()


def test_environment_variable_records_without_the_option(servers: ServerFactory) -> None:
    """CHANREPLAY_RECORD=NAME records like --record NAME (the cassette dir from the setting)."""
    server = servers.runserver(
        record=None,
        CHANREPLAY_RECORD="fromenv",
        EXAMPLE_CASSETTE_DIR=str(servers.cassette_dir),
    )
    run_session(server.base)
    server.stop()
    assert len(load(servers.cassette_dir / "fromenv.json").connections) == 10


def test_hand_wrapped_application_records_under_plain_daphne(servers: ServerFactory) -> None:
    """Without the app installed, a hand-wrapped ASGI app and layer record under daphne."""
    env = servers.env(
        DJANGO_SETTINGS_MODULE="example.settings_handwrapped",
        CHANREPLAY_RECORD="daphne",
        CHANREPLAY_CASSETTE_DIR=str(servers.cassette_dir),
    )
    server = servers.start(
        [
            sys.executable,
            "-m",
            "daphne",
            "-b",
            "127.0.0.1",
            "-p",
            "{port}",
            "example.asgi_recorded:application",
        ],
        env=env,
    )
    run_session(server.base)
    assert server.stop() == 0, server.output()
    cassette = load(servers.cassette_dir / "daphne.json")
    assert len(cassette.connections) >= 10
    assert ("group_add", "chat_lobby") in layer_ops(cassette, "c4")


@pytest.mark.redis
@pytest.mark.parametrize("layer", ["redis", "pubsub"])
def test_redis_layers_record_the_same_cassette_as_in_memory(
    servers: ServerFactory,
    fresh_servers: Callable[[], ServerFactory],
    redis_url: str,
    layer: str,
    tmp_path: Path,
) -> None:
    """Placeholders hide each layer's channel naming: the cassette is identical across layers."""
    memory, _ = record_session(servers, "session")
    other, _ = record_session(
        fresh_servers(),
        "session",
        EXAMPLE_CHANNEL_LAYER=layer,
        REDIS_URL=redis_url,
        EXAMPLE_REDIS_PREFIX=f"chanreplay-test-{tmp_path.name}",
    )
    assert memory.read_bytes() == other.read_bytes(), render_text(
        diff_cassettes(load(memory), load(other))
    )


@pytest.mark.redis
def test_operations_of_another_process_are_recorded_as_external(
    servers: ServerFactory, redis_url: str, tmp_path: Path
) -> None:
    """A management command's group_send is an external event; its delivery carries its step."""
    import asyncio

    from websockets.asyncio.client import connect

    env = {
        "EXAMPLE_CHANNEL_LAYER": "redis",
        "REDIS_URL": redis_url,
        "EXAMPLE_REDIS_PREFIX": f"chanreplay-ext-{tmp_path.name}",
    }
    server = servers.runserver(**env)
    origin = f"http://127.0.0.1:{server.port}"

    async def scenario() -> None:
        async with connect(
            f"ws://127.0.0.1:{server.port}/ws/chat/lobby/",
            origin=origin,  # type: ignore[arg-type]
        ) as ws:
            result = await asyncio.to_thread(
                servers.manage,
                "broadcast",
                "lobby",
                "from outside",
                CHANREPLAY_RECORD="session",
                **env,
            )
            assert result.returncode == 0, result.stderr
            assert json.loads(await asyncio.wait_for(ws.recv(), 10)) == {
                "type": "announcement",
                "text": "from outside",
            }

    asyncio.run(scenario())
    server.stop()
    cassette = load(servers.cassette_dir / "session.json")
    assert len(cassette.external) == 1
    external = cassette.external[0]
    assert (external["op"], external["group"]) == ("group_send", "chat_lobby")
    assert external["message"] == {"type": "chat.announcement", "text": "from outside"}
    delivery = [e for e in cassette.connection("c1").events if e["dir"] == "out"][-1]
    assert delivery["step"] == external["step"]


def test_stop_signal_reaches_a_server_without_reloader(servers: ServerFactory) -> None:
    """SIGINT to a --noreload server writes the final cassette too."""
    server = servers.runserver()
    run_session(server.base)
    server.stop(signal.SIGINT)
    assert len(load(servers.cassette_dir / "session.json").connections) == 10


def test_an_unusable_cassette_directory_stops_runserver_with_the_fix(
    servers: ServerFactory, tmp_path: Path
) -> None:
    """--cassette-dir naming a file fails at once with an error that says what to pass."""
    blocker = tmp_path / "not-a-directory"
    blocker.write_text("")
    server = servers.runserver("--cassette-dir", str(blocker), wait=False)
    assert server.process.wait(60) != 0
    output = server.output()
    assert f"cannot record into {blocker}" in output
    assert "Traceback" not in output


def test_ctrl_c_to_the_reloader_alone_finalises_a_background_started_server(
    servers: ServerFactory,
) -> None:
    """Started with SIGINT ignored, SIGINT to the reloader still ends in a complete cassette."""
    server = servers.runserver(reload=True, sigint_ignored=True)
    run_session(server.base)
    assert server.stop(signal.SIGINT) == 0
    output = server.output()
    assert "chanreplay: wrote" in output
    assert "was killed" not in output  # it stopped by itself, writing everything
    cassette = load(servers.cassette_dir / "session.json")
    assert len(cassette.connections) == 10
    assert all(c.closed for c in cassette.connections)


def leave_the_farewell_room(base: str) -> None:
    """Open the farewell consumer's socket, stay a moment, and close it."""
    url = base.replace("http://", "ws://") + "/ws/farewell/"
    with connect(url, origin=Origin(base), open_timeout=10) as ws:
        # Daphne forgets the HTTP request a websocket was upgraded from only
        # at its next sweep, once a second; until then its kill fails on that
        # request (it has no application) and cancels nothing at all.
        time.sleep(DAPHNE_CHECK_INTERVAL * 2)
        ws.close()


@pytest.mark.parametrize("server_kind", ["runserver", "daphne"])
def test_stopping_right_after_a_client_left_lets_its_disconnect_handler_finish(
    servers: ServerFactory, server_kind: str
) -> None:
    """What a consumer does after its client left is recorded even if the server stops then.

    Daphne cancels running applications the moment it stops; while
    recording it first lets those whose client already left finish, so the
    cassette does not depend on how soon the stop followed the close.
    """
    if server_kind == "runserver":
        server = servers.runserver(record="farewell")
    else:
        server = servers.start(
            [sys.executable, "-m", "daphne", "-p", "{port}", "example.asgi_recorded:application"],
            env=servers.env(
                DJANGO_SETTINGS_MODULE="example.settings_handwrapped",
                CHANREPLAY_RECORD="farewell",
                CHANREPLAY_CASSETTE_DIR=str(servers.cassette_dir),
            ),
        )
    leave_the_farewell_room(server.base)
    assert server.stop() == 0, server.output()
    cassette = load(servers.cassette_dir / "farewell.json")
    [connection] = cassette.connections
    assert connection.closed
    ops = layer_ops(cassette, connection.id)
    assert ops[-2:] == [("group_send", "farewell"), ("group_discard", "farewell")], ops


def _environ(pid: int) -> list[bytes]:
    return Path(f"/proc/{pid}/environ").read_bytes().split(b"\0")


def _server_process(pid: int) -> int:
    """The server process the autoreloader ``pid`` started."""
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
        if children:
            return int(children[0])
        time.sleep(0.1)
    raise AssertionError(f"the autoreloader {pid} started no server process")


@pytest.mark.parametrize("reload", [False, True])
def test_a_recording_server_iterates_sets_the_same_way_every_time(
    servers: ServerFactory, monkeypatch: pytest.MonkeyPatch, reload: bool
) -> None:
    """runserver --record runs the server with PYTHONHASHSEED=0 unless one is given, so a
    consumer leaving a set of rooms leaves them in the same order in every recording."""
    monkeypatch.delenv("PYTHONHASHSEED", raising=False)
    server = servers.runserver(reload=reload)
    pid = _server_process(server.process.pid) if reload else server.process.pid
    assert b"PYTHONHASHSEED=0" in _environ(pid)
    server.stop()
    given = servers.runserver("--record-mode", "all", reload=reload, PYTHONHASHSEED="1234")
    pid = _server_process(given.process.pid) if reload else given.process.pid
    assert b"PYTHONHASHSEED=1234" in _environ(pid)
    plain = servers.runserver(record=None, reload=reload)
    pid = _server_process(plain.process.pid) if reload else plain.process.pid
    assert not any(item.startswith(b"PYTHONHASHSEED=") for item in _environ(pid))


def test_a_project_listing_daphne_first_is_told_how_to_record(
    servers: ServerFactory, tmp_path: Path
) -> None:
    """daphne before chanreplay in INSTALLED_APPS: `manage.py check` warns with the fix,
    `runserver --record` says why the option is unknown, and CHANREPLAY_RECORD under
    daphne's runserver warns as the server starts (it would record nothing)."""
    (tmp_path / "daphne_first.py").write_text(
        "from example.settings import *  # noqa: F403\n"
        "INSTALLED_APPS = ['daphne', *[a for a in INSTALLED_APPS if a != 'daphne']]  # noqa\n"
    )
    env = servers.env(PYTHONPATH=f"{tmp_path}:{EXAMPLE_PROJECT}", EXAMPLE_DEBUG="1")
    env["DJANGO_SETTINGS_MODULE"] = "daphne_first"
    check = subprocess.run(
        [sys.executable, "manage.py", "check"],
        cwd=EXAMPLE_PROJECT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert check.returncode == 0  # a warning: the project still works
    assert "(chanreplay.W001) runserver is daphne's, not chanreplay's" in check.stderr
    assert "list 'chanreplay' before 'daphne' in INSTALLED_APPS" in check.stderr
    record = subprocess.run(
        [sys.executable, "manage.py", "runserver", "--record", "chat", "--noreload"],
        cwd=EXAMPLE_PROJECT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert record.returncode != 0
    assert "chanreplay: runserver here is daphne's, which has no --record" in record.stderr
    assert "unrecognized arguments: --record" in record.stderr
    served = servers.start(
        [sys.executable, "manage.py", "runserver", "--noreload", "127.0.0.1:{port}"],
        env={**env, "CHANREPLAY_RECORD": "chat"},
    )
    served.stop()
    assert "(chanreplay.W002) CHANREPLAY_RECORD is set, but this runserver is daphne's" in (
        served.output()
    )


def test_ctrl_c_before_any_traffic_leaves_the_committed_cassette_alone(
    servers: ServerFactory,
) -> None:
    """`--record-mode all` (its abbreviation `--record-mod` is refused) and Ctrl-C before
    the first request: the committed cassette is not replaced by an empty one, and a first
    attempt that recorded nothing does not block the next `--record`."""
    committed = servers.cassette_dir / "session.json"
    first = servers.runserver()
    first.stop()
    assert "chanreplay: nothing was recorded: no cassette written" in first.output()
    assert not committed.exists()
    recorded = servers.runserver()  # mode once: not refused by a cassette of nothing
    run_session(recorded.base)
    recorded.stop()
    before = committed.read_bytes()
    typo = servers.runserver("--record-mod", "all", wait=False)
    assert typo.process.wait(60) != 0  # no abbreviations: a typo is an error
    assert "unrecognized arguments: --record-mod" in typo.output()
    again = servers.runserver("--record-mode", "all", reload=True)
    again.stop()
    assert f"nothing was recorded: no cassette written ({committed} is as it was)" in (
        again.output()
    )
    assert committed.read_bytes() == before
