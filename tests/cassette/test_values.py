"""``chanreplay.cassette.values``: what a recording made, kept beside its cassette for reading."""

from __future__ import annotations

from pathlib import Path

from chanreplay.cassette.values import (
    Kept,
    forget_values,
    read_values,
    values_path,
    write_values,
)

TIMES = {"c4": {"message.text.sent": ["2026-12-07T04:14:13Z", "2026-12-07T04:14:14Z"]}}


def test_values_are_kept_beside_the_cassette_in_order(tmp_path: Path) -> None:
    cassette = tmp_path / "trips.json"
    write_values(cassette, Kept({"uuid:10": "b", "token:1": "t", "uuid:2": "a"}, TIMES))
    assert values_path(cassette) == tmp_path / ".trips.values.json"
    kept = read_values(cassette)
    assert list(kept.bindings) == ["token:1", "uuid:2", "uuid:10"]
    assert kept.timestamps == TIMES


def test_a_resumed_recording_adds_to_what_was_kept() -> None:
    before = Kept({"uuid:1": "a"}, {"c1": {"message.at": [1]}})
    after = before.then(Kept({"uuid:2": "b"}, {"c1": {"message.at": [2]}, "c2": {"x": [3]}}))
    assert after.bindings == {"uuid:1": "a", "uuid:2": "b"}
    assert after.timestamps == {"c1": {"message.at": [1, 2]}, "c2": {"x": [3]}}
    assert before.timestamps == {"c1": {"message.at": [1]}}  # not changed


def test_nothing_to_keep_removes_the_file(tmp_path: Path) -> None:
    cassette = tmp_path / "trips.json"
    write_values(cassette, Kept({"uuid:1": "a"}))
    write_values(cassette, Kept())
    assert not values_path(cassette).exists()
    forget_values(cassette)  # nothing there: no error


def test_a_file_that_is_no_such_record_reads_as_nothing(tmp_path: Path) -> None:
    cassette = tmp_path / "trips.json"
    assert not read_values(cassette)
    values_path(cassette).write_text("[1, 2")
    assert not read_values(cassette)
    values_path(cassette).write_text('["uuid:1"]')
    assert not read_values(cassette)
    values_path(cassette).write_text('{"bindings": 3, "timestamps": {"c1": 4}}')
    assert not read_values(cassette)
