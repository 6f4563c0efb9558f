"""The loader's generated skeleton validators cannot go stale: each was made from its
schema as it is now, and says what fastjsonschema, compiling that schema now, says."""

from __future__ import annotations

import copy
import importlib
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import fastjsonschema
import pytest

from chanreplay.cassette import schemacode
from chanreplay.cassette.model import READABLE_VERSIONS

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = Path(__file__).with_name("fixtures")
DOCUMENTS = {
    1: FIXTURES / "v1-minimal.json",
    2: FIXTURES / "v2-example-session.json",
    3: ROOT / "cassettes" / "example_session.json",
}
REGENERATE = "regenerate them: .venv/bin/python -m chanreplay.cassette.schemacode"


@pytest.mark.parametrize("version", READABLE_VERSIONS)
def test_each_generated_module_was_made_from_its_schema_as_it_is(version: int) -> None:
    module = importlib.import_module(schemacode.module_name(version))
    made_from = module.SCHEMA_DIGEST
    assert made_from == schemacode.schema_digest(version), REGENERATE


@pytest.mark.parametrize("version", READABLE_VERSIONS)
def test_each_generated_module_is_what_the_generator_writes(version: int) -> None:
    """To the byte, with the fastjsonschema it was generated with; another release of
    fastjsonschema may write other code for the same schema (the next test holds that
    code to the same answers)."""
    module = importlib.import_module(schemacode.module_name(version))
    if module.VERSION != fastjsonschema.VERSION:
        pytest.skip(f"made by fastjsonschema {module.VERSION}, {fastjsonschema.VERSION} here")
    written = schemacode.module_path(version).read_text(encoding="utf-8")
    assert written == schemacode.code(version), REGENERATE


def _variants(document: dict[str, Any]) -> list[dict[str, Any]]:
    """``document``, and copies of it broken (or not) in the places the skeleton checks."""
    found = [document]

    def changed(change: Any) -> None:
        clone = copy.deepcopy(document)
        change(clone)
        found.append(clone)

    first = "connections"
    changed(lambda d: d.update(extra=1))
    changed(lambda d: d.pop("external"))
    changed(lambda d: d.update(format="other"))
    changed(lambda d: d.update(version=99))
    changed(lambda d: d.update(connections={}))
    changed(lambda d: d[first][0].update(id="x1"))
    changed(lambda d: d[first][0].update(id="c"))
    changed(lambda d: d[first][0].update(type="tcp"))
    changed(lambda d: d[first][0].update(step=-1))
    changed(lambda d: d[first][0].update(step=1.5))
    changed(lambda d: d[first][0].update(step=True))
    changed(lambda d: d[first][0].update(closed=0))
    changed(lambda d: d[first][0].update(user={}))
    changed(lambda d: d[first][0].update(user={"username": "alice", "id": 4}))
    changed(lambda d: d[first][0].update(user={"username": 4}))
    changed(lambda d: d[first][0].pop("user"))
    changed(lambda d: d[first][0].update(more=True))
    changed(lambda d: d[first][0]["scope"].pop("path"))
    changed(lambda d: d[first][0]["scope"].update(headers=["no colon"]))
    changed(lambda d: d[first][0]["scope"].update(headers=["host: x", 1]))
    changed(lambda d: d[first][0]["scope"].update(subprotocols=[1]))
    changed(lambda d: d[first][0]["scope"].update(method=None))
    changed(lambda d: d[first][0].update(events=[1]))
    changed(lambda d: d[first][0].update(events=[{"anything": "goes here"}]))
    changed(lambda d: d.update(external=[[]]))
    changed(lambda d: d.update(external=[{"dir": "nowhere"}]))
    return found


@pytest.mark.parametrize("version", READABLE_VERSIONS)
def test_each_generated_module_answers_as_its_schema_compiled_now(version: int) -> None:
    module = importlib.import_module(schemacode.module_name(version))
    compiled = fastjsonschema.compile(schemacode.skeleton(version))
    document = json.loads(DOCUMENTS[version].read_text())
    assert document["version"] == version
    for variant in _variants(document):
        answers = []
        for validate, rejected in (
            (module.validate, module.JsonSchemaValueException),
            (compiled, fastjsonschema.JsonSchemaException),
        ):
            try:
                validate(copy.deepcopy(variant))
            except rejected:
                answers.append(False)
            else:
                answers.append(True)
        assert answers[0] == answers[1], variant
    assert module.validate(document) == document


def test_loading_a_valid_cassette_imports_neither_jsonschema_nor_fastjsonschema() -> None:
    """Both are for a document the fast checks reject; the skeleton is compiled ahead of
    time (nothing is compiled at run time)."""
    probe = (
        "import sys\n"
        "from chanreplay.cassette import load\n"
        f"for path in {[str(p) for p in DOCUMENTS.values()]!r}:\n"
        "    load(path)\n"
        "    load(path, compact=True)\n"
        "print(sorted(m for m in sys.modules if 'jsonschema' in m.split('.')[0]))\n"
    )
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]"
