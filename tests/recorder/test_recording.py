"""Recording: record modes, resuming a run, recovering a dead one, connection life cycle."""

from __future__ import annotations

from pathlib import Path

import pytest

from chanreplay.cassette import load
from chanreplay.exceptions import CassetteExistsError, ConfigurationError
from chanreplay.recorder.journal import JournalLocked
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


@pytest.mark.parametrize("name", ["", "a/b", ".hidden"])
def test_recording_names_must_be_plain_file_names(name: str, tmp_path: Path) -> None:
    """A name that is not a plain file name is refused with an example of a good one."""
    with pytest.raises(ConfigurationError, match="plain file name"):
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
    first.stop()
    with pytest.raises(CassetteExistsError, match="--record-mode all"):
        Recording("x", cassette_dir=tmp_path).prepare()


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
    dead = Recording("x", cassette_dir=tmp_path, run_id="dead")
    dead.start()
    await record_one_connection(dead)
    writer = dead._writer
    assert writer is not None
    writer.flush()
    writer._file.close()  # as if the process had been killed: no final compile
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
