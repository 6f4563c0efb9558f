"""Recording: record modes, resuming a run, recovering a dead one, connection life cycle."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from chanreplay.cassette import load
from chanreplay.exceptions import (
    CassetteExistsError,
    ConfigurationError,
    UnserializableValueError,
)
from chanreplay.recorder.journal import JournalLocked, JournalWriter
from chanreplay.recorder.recording import Recording

SCOPE = {"type": "websocket", "path": "/ws/x/", "headers": [], "query_string": b""}


async def record_one_connection(recording: Recording, text: str = "hi") -> None:
    """Record a connection that receives one frame and answers it, then ends."""
    connection = await recording.open_connection(SCOPE)
    connection.inbound({"type": "websocket.connect"})
    connection.outbound({"type": "websocket.accept"})
    connection.inbound({"type": "websocket.receive", "text": text})
    connection.outbound({"type": "websocket.send", "text": text.upper()})
    connection.inbound({"type": "websocket.disconnect", "code": 1000})
    connection.finish()


@pytest.mark.parametrize(
    ("name", "says"),
    [
        ("", "needs a name"),
        ("a/b", "plain file name"),
        ("a\\b", "plain file name"),
        (".hidden", "plain file name"),
        ("x" * 300, "300 bytes long: use at most 200"),
        ("127.0.0.1:9303", "is an address, not a recording name"),
        ("localhost:8000", "is an address"),
        ("8000", "is an address"),
    ],
)
def test_recording_names_must_be_plain_file_names(name: str, says: str, tmp_path: Path) -> None:
    """A name that cannot name a recording is refused, saying why (a forgotten name, whose
    address took its place, included)."""
    with pytest.raises(ConfigurationError, match=says):
        Recording(name, cassette_dir=tmp_path)


def test_unknown_record_modes_are_refused(tmp_path: Path) -> None:
    """The error lists the modes there are."""
    with pytest.raises(ConfigurationError, match="once, new_episodes, all"):
        Recording("x", cassette_dir=tmp_path, mode="sometimes")


async def test_a_stopped_recording_writes_the_cassette_and_removes_the_journal(
    tmp_path: Path,
) -> None:
    """stop() leaves exactly the cassette behind."""
    recording = Recording("x", cassette_dir=tmp_path)
    recording.start()
    await record_one_connection(recording)
    result = recording.stop()
    assert result is not None
    assert (result.connections, result.events) == (1, 5)
    assert [p.name for p in tmp_path.iterdir()] == ["x.json"]
    assert load(tmp_path / "x.json").connections[0].closed


async def test_mode_once_refuses_an_existing_cassette(tmp_path: Path) -> None:
    """Record mode once never overwrites; the error says which modes would."""
    first = Recording("x", cassette_dir=tmp_path)
    first.start()
    await record_one_connection(first)
    first.stop()
    with pytest.raises(CassetteExistsError, match="--record-mode all"):
        Recording("x", cassette_dir=tmp_path).prepare()


async def test_a_recording_of_nothing_writes_no_cassette_and_blocks_nothing(
    tmp_path: Path,
) -> None:
    """Stopped before any traffic: no cassette of nothing, so the next recording (mode
    once) is not refused; with mode all, the cassette there stays as it was."""
    empty = Recording("x", cassette_dir=tmp_path)
    empty.start()
    result = empty.stop()
    assert result is not None
    assert not result.written
    assert list(tmp_path.iterdir()) == []
    again = Recording("x", cassette_dir=tmp_path)
    again.start()
    await record_one_connection(again)
    again.stop()
    recorded = (tmp_path / "x.json").read_bytes()
    overwrite = Recording("x", cassette_dir=tmp_path, mode="all")
    overwrite.start()
    assert not overwrite.stop().written  # type: ignore[union-attr]
    assert (tmp_path / "x.json").read_bytes() == recorded


async def test_mode_new_episodes_continues_ids_and_steps(tmp_path: Path) -> None:
    """Appended connections continue the numbering of the kept ones."""
    first = Recording("x", cassette_dir=tmp_path)
    first.start()
    await record_one_connection(first, "one")
    first.stop()
    second = Recording("x", cassette_dir=tmp_path, mode="new_episodes")
    assert "1 connections kept" in second.start()
    await record_one_connection(second, "two")
    second.stop()
    cassette = load(tmp_path / "x.json")
    assert [c.id for c in cassette.connections] == ["c1", "c2"]
    assert cassette.connections[1].step > cassette.connections[0].events[-1]["step"]


async def test_mode_all_starts_over(tmp_path: Path) -> None:
    """Record mode all replaces the cassette with the new session."""
    for text in ("one", "two"):
        recording = Recording("x", cassette_dir=tmp_path, mode="all")
        recording.start()
        await record_one_connection(recording, text)
        recording.stop()
    (connection,) = load(tmp_path / "x.json").connections
    assert connection.events[2]["message"]["text"] == "two"


async def test_a_process_of_the_same_run_resumes_the_journal(tmp_path: Path) -> None:
    """The autoreloader's next server process continues ids, steps and the cassette."""
    first = Recording("x", cassette_dir=tmp_path, run_id="run-1", finalize=False)
    first.start()
    await record_one_connection(first, "one")
    unfinished = await first.open_connection(SCOPE)
    unfinished.inbound({"type": "websocket.connect"})
    first.stop()
    assert (tmp_path / ".x.journal").exists()

    second = Recording("x", cassette_dir=tmp_path, run_id="run-1")
    assert "resuming" in second.start()
    await record_one_connection(second, "two")
    second.stop()
    cassette = load(tmp_path / "x.json")
    assert [(c.id, c.closed) for c in cassette.connections] == [
        ("c1", True),
        ("c2", False),
        ("c3", True),
    ]


async def test_a_dead_runs_journal_is_recovered_before_recording(tmp_path: Path) -> None:
    """A journal of another run becomes the cassette first; mode once then refuses."""
    # The writer thread, so that the test can stop it as a kill would.
    dead = Recording("x", cassette_dir=tmp_path, run_id="dead", writer_process=False)
    dead.start()
    await record_one_connection(dead)
    writer = dead._writer
    assert isinstance(writer, JournalWriter)
    writer.flush()
    # As if the process had been killed: no thread, no final compile.
    writer._stop.set()
    writer._thread.join()
    writer._journal.close()
    assert dead._claimed is not None
    dead._claimed.close()  # a dead process's locks are gone, its lock file stays
    with pytest.raises(CassetteExistsError, match="recovered an interrupted recording"):
        Recording("x", cassette_dir=tmp_path, run_id="new").prepare()
    assert len(load(tmp_path / "x.json").connections) == 1
    assert not (tmp_path / ".x.journal").exists()


async def test_two_recordings_cannot_share_a_journal(tmp_path: Path) -> None:
    """A second writer on a live journal is refused instead of corrupting it."""
    first = Recording("x", cassette_dir=tmp_path, run_id="r")
    first.start()
    try:
        with pytest.raises(JournalLocked, match="another server is recording"):
            Recording("x", cassette_dir=tmp_path, run_id="other").start()
    finally:
        first.stop()


async def test_connections_are_closed_when_they_end_not_when_the_app_returns(
    tmp_path: Path,
) -> None:
    """The close record follows the disconnect; later app work still belongs to the connection."""
    recording = Recording("x", cassette_dir=tmp_path)
    recording.start()
    connection = await recording.open_connection(SCOPE)
    connection.inbound({"type": "websocket.disconnect", "code": 1000})
    assert connection.closed
    assert recording.finishing() == 1
    recording.layer_event(connection, "group_discard", connection.step, group="g", channel="c")
    connection.finish()
    assert recording.finishing() == 0
    recording.stop()
    events = load(tmp_path / "x.json").connections[0].events
    assert [e.get("op") or e["message"]["type"] for e in events] == [
        "websocket.disconnect",
        "group_discard",
    ]


async def test_recover_refuses_a_journal_a_live_recording_holds(tmp_path: Path) -> None:
    """`chanreplay recover` never compiles (and deletes) the journal of a running server."""
    from chanreplay.recorder.journal import recover

    live = Recording("x", cassette_dir=tmp_path)
    live.start()
    try:
        with pytest.raises(JournalLocked, match="running process"):
            recover(tmp_path / ".x.journal")
        assert (tmp_path / ".x.journal").exists()
    finally:
        live.stop()


JWT = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJhbGljZSJ9.c2lnbmF0dXJlLXNpZ25hdHVyZQ"


async def test_a_jwt_is_redacted_wherever_it_appears(tmp_path: Path) -> None:
    """A token handed out in a response body under any key never reaches the cassette."""
    recording = Recording("x", cassette_dir=tmp_path)
    recording.start()
    connection = await recording.open_connection({**SCOPE, "type": "http", "path": "/api/login"})
    body = f'{{"access": "{JWT}", "user": "alice"}}'.encode()
    connection.outbound({"type": "http.response.body", "body": body})
    recording.stop()
    text = (tmp_path / "x.json").read_text()
    assert JWT not in text
    assert '"user": "alice"' in text


@pytest.mark.parametrize("flush_between", [False, True])
async def test_learned_secrets_apply_from_when_they_are_learned(
    tmp_path: Path, flush_between: bool
) -> None:
    """Scrubbing a learned secret does not depend on how events fall into journal batches."""
    secret = "s3cr3t-session-value-0123456789"
    recording = Recording("x", cassette_dir=tmp_path, mode="all")
    recording.start()
    before = await recording.open_connection(SCOPE)
    before.inbound({"type": "websocket.receive", "text": f"echo {secret}"})
    if flush_between:
        assert recording._writer is not None
        recording._writer.flush()
    await recording.open_connection(
        {**SCOPE, "headers": [(b"cookie", f"sessionid={secret}".encode())]}
    )
    after = await recording.open_connection(SCOPE)
    after.inbound({"type": "websocket.receive", "text": f"echo {secret}"})
    recording.stop()
    cassette = load(tmp_path / "x.json")
    texts = [
        c.events[0]["message"]["text"] for c in (cassette.connections[0], cassette.connections[2])
    ]
    # Before the cookie revealed it, the value was not known to be secret.
    assert texts == [f"echo {secret}", "echo <redacted>"]


async def test_a_hook_returning_what_json_cannot_hold_is_refused(tmp_path: Path) -> None:
    """A before_record hook that puts a datetime in the event gets an error naming the event."""
    import datetime

    def hook(event: dict[str, object], connection: object) -> dict[str, object]:
        return {**event, "when": datetime.date(2026, 1, 1)}

    recording = Recording("x", cassette_dir=tmp_path, before_record=hook)
    recording.start()
    connection = await recording.open_connection(SCOPE)
    try:
        with pytest.raises(ConfigurationError) as raised:
            connection.outbound({"type": "websocket.accept"})
        message = str(raised.value)
        assert "BEFORE_RECORD" in message
        assert "event.when" in message
        assert "connection c1, outbound 'websocket.accept'" in message
    finally:
        recording.stop()


def test_an_unusable_cassette_directory_is_a_clear_error(tmp_path: Path) -> None:
    """A cassette dir that is a file (or cannot be created) says so and how to fix it."""
    blocker = tmp_path / "file"
    blocker.write_text("")
    with pytest.raises(ConfigurationError, match=r"cannot record into .*--cassette-dir"):
        Recording("x", cassette_dir=blocker / "cassettes").prepare()


async def test_frames_are_recorded_alike_whether_serialised_now_or_with_their_batch(
    tmp_path: Path,
) -> None:
    """ASCII and binary frames wait for their batch, other text is serialised at once: alike."""
    recording = Recording("x", cassette_dir=tmp_path)
    recording.start()
    connection = await recording.open_connection(SCOPE)
    sent = [
        {"type": "websocket.receive", "text": '{"message": "hi"}'},
        {"type": "websocket.send", "text": "caf\u00e9 \U0001f600"},
        {"type": "websocket.send", "bytes": b"\x00\x01\xff"},
    ]
    connection.inbound(sent[0])
    connection.outbound(sent[1])
    connection.outbound(sent[2])
    connection.finish()
    recording.stop()
    messages = [event["message"] for event in load(tmp_path / "x.json").connections[0].events]
    assert messages == [
        {"type": "websocket.receive", "text": {"$json": {"message": "hi"}}},
        {"type": "websocket.send", "text": "caf\u00e9 \U0001f600"},
        {"type": "websocket.send", "bytes": {"$bytes": "AAH/"}},
    ]


async def test_text_json_cannot_hold_is_refused_where_it_is_sent(tmp_path: Path) -> None:
    """A lone surrogate raises at the send, naming the connection, the place and a fix."""
    recording = Recording("x", cassette_dir=tmp_path)
    recording.start()
    connection = await recording.open_connection(SCOPE)
    try:
        with pytest.raises(UnserializableValueError) as raised:
            connection.outbound({"type": "websocket.send", "text": "bad \udc80 text"})
        message = str(raised.value)
        assert "message.text in connection c1, outbound 'websocket.send'" in message
        assert "lone surrogate" in message
        assert "fix:" in message
    finally:
        recording.stop()


async def test_a_hook_sees_every_frame_the_server_sends_as_it_is_recorded(tmp_path: Path) -> None:
    """With a before_record hook, frames are serialised at once, for the hook to see and
    change; what the client sends it does not see (a replay sends that), unless asked."""
    seen: list[object] = []

    def hook(event: dict[str, Any], connection: object) -> dict[str, Any]:
        seen.append(event["message"])
        return {**event, "message": {**event["message"], "text": "changed"}}

    recording = Recording("x", cassette_dir=tmp_path, before_record=hook)
    recording.start()
    connection = await recording.open_connection(SCOPE)
    connection.inbound({"type": "websocket.receive", "text": "plain ascii"})
    connection.outbound({"type": "websocket.send", "text": "reply"})
    assert seen == [{"type": "websocket.send", "text": "reply"}]
    connection.finish()
    recording.stop()
    events = load(tmp_path / "x.json").connections[0].events
    assert [event["message"]["text"] for event in events] == ["plain ascii", "changed"]


async def test_a_hook_asked_to_sees_what_clients_send_too(tmp_path: Path) -> None:
    """``hook_inputs`` (``BEFORE_RECORD_INPUTS``): the hook also rewrites inputs, which a
    replay then sends as rewritten."""
    seen: list[object] = []

    def hook(event: dict[str, Any], connection: object) -> dict[str, Any]:
        seen.append(event["dir"])
        return event

    recording = Recording("x", cassette_dir=tmp_path, before_record=hook, hook_inputs=True)
    recording.start()
    connection = await recording.open_connection(SCOPE)
    connection.inbound({"type": "websocket.receive", "text": "plain ascii"})
    connection.outbound({"type": "websocket.send", "text": "reply"})
    connection.finish()
    recording.stop()
    assert seen == ["in", "out"]


def test_the_name_is_claimed_before_anything_is_said(tmp_path: Path) -> None:
    """Two runs that both find no journal: the second is refused at prepare(), before it
    announces anything; a process of the first run goes ahead; a stopped run frees it."""
    first = Recording("x", cassette_dir=tmp_path, run_id="run-1")
    assert first.prepare() == f"recording into {tmp_path / 'x.json'}"
    with pytest.raises(JournalLocked, match="another server is recording 'x' right now"):
        Recording("x", cassette_dir=tmp_path, run_id="run-2").prepare()
    assert not (tmp_path / ".x.journal").exists()
    child = Recording("x", cassette_dir=tmp_path, run_id="run-1")  # the autoreloader's
    child.start()
    child.stop()
    first.release()
    assert not (tmp_path / ".x.journal.lock").exists()
    later = Recording("x", cassette_dir=tmp_path, run_id="run-3", mode="all")
    later.start()
    later.stop()
