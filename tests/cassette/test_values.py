"""``chanreplay.cassette.values``: what a recording made, kept beside its cassette for reading."""

from __future__ import annotations

from pathlib import Path

from chanreplay.cassette.values import forget_values, read_values, values_path, write_values


def test_values_are_kept_beside_the_cassette_in_order(tmp_path: Path) -> None:
    cassette = tmp_path / "trips.json"
    write_values(cassette, {"uuid:10": "b", "token:1": "t", "uuid:2": "a"})
    assert values_path(cassette) == tmp_path / ".trips.values.json"
    assert list(read_values(cassette)) == ["token:1", "uuid:2", "uuid:10"]


def test_none_to_keep_removes_the_file(tmp_path: Path) -> None:
    cassette = tmp_path / "trips.json"
    write_values(cassette, {"uuid:1": "a"})
    write_values(cassette, {})
    assert not values_path(cassette).exists()
    forget_values(cassette)  # nothing there: no error


def test_a_file_that_is_no_such_record_reads_as_none(tmp_path: Path) -> None:
    cassette = tmp_path / "trips.json"
    assert read_values(cassette) == {}
    values_path(cassette).write_text("[1, 2")
    assert read_values(cassette) == {}
    values_path(cassette).write_text('["uuid:1"]')
    assert read_values(cassette) == {}
