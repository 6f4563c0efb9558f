"""``chanreplay verify DIR``: replay every cassette of a directory against the current code.

It runs pytest with ``--chanreplay-cassettes DIR`` (so the replays happen in
pytest-django's test database, exactly as the collected tests would), with
pytest's own terminal output replaced by a progress bar and, at the end, a
table: each cassette, passed or failed, and the connections whose replay
differed. No test file is written.
"""

from __future__ import annotations

import re
import sys
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import click
import pytest

__all__ = ["Outcome", "verify"]


@dataclass
class Outcome:
    """One cassette's replay."""

    cassette: str
    passed: bool
    differing: list[str] = field(default_factory=list)
    error: str = ""
    reason: str = ""
    """How the replay differed (``1 event changed``), when it did."""


class _Reporter:
    """A pytest plugin: the progress bar, and the outcomes for the table."""

    def __init__(self, secrets: dict[str, Any]) -> None:
        self.secrets = secrets
        self.outcomes: list[Outcome] = []
        self.total = 0
        self._bar: Any = None

    @pytest.hookimpl(trylast=True)
    def pytest_configure(self, config: pytest.Config) -> None:
        from chanreplay.pytest_plugin import SECRETS

        config.stash[SECRETS] = self.secrets
        # pytest's own report gives way to the bar and the table (its options,
        # which other plugins read, stay defined).
        reporter = config.pluginmanager.get_plugin("terminalreporter")
        if reporter is not None:
            config.pluginmanager.unregister(reporter)

    def pytest_collection_finish(self, session: pytest.Session) -> None:
        self.total = len(session.items)
        self._bar = click.progressbar(length=self.total, label="replaying", file=sys.stderr)
        self._bar.__enter__()

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        from chanreplay.pytest_plugin import DIFFERING_KEY, REASON_KEY

        if report.when != "call" and not (report.when == "setup" and report.failed):
            return
        differing: list[str] = []
        reason = ""
        for key, value in report.user_properties:
            if key == DIFFERING_KEY and isinstance(value, list):
                differing = [str(item) for item in value]
            elif key == REASON_KEY and isinstance(value, str):
                reason = value
        error = _diagnosis(report) if report.failed else ""
        name = Path(report.nodeid.split("::")[0]).name
        self.outcomes.append(Outcome(name, report.passed, differing, error, reason))
        if self._bar is not None:
            self._bar.update(1)

    def pytest_sessionfinish(self) -> None:
        if self._bar is not None:
            self._bar.__exit__(None, None, None)
            self._bar = None


_EXCEPTION_NAME = re.compile(r"^(?:[A-Za-z_][\w.]*\.)?([A-Za-z_]\w*): ")


def _diagnosis(report: pytest.TestReport) -> str:
    """What made a replay fail without a difference: the exception's own message (a
    cassette the loader refused names the file, the place and the fix), not where
    in chanreplay it was raised."""
    crash = getattr(report.longrepr, "reprcrash", None)
    message = getattr(crash, "message", "") or str(report.longrepr or "").strip()
    match = _EXCEPTION_NAME.match(message)
    if match is not None:
        # A diagnosis speaks for itself; a mismatch keeps its short name.
        name, rest = match.group(1), message[match.end() :]
        message = rest if name.endswith("Error") else f"{name}: {rest}"
    return message.strip()


def verify(
    directory: Path, *, secrets: dict[str, Any], settings: str | None, extra: Sequence[str] = ()
) -> tuple[int, list[Outcome]]:
    """Replay every cassette under ``directory``; pytest's exit code and the outcomes."""
    reporter = _Reporter(secrets)
    arguments = [
        "--chanreplay-cassettes",
        str(directory),
        str(directory),
        "-p",
        "no:cacheprovider",
        *(["--ds", settings] if settings else []),
        *extra,
    ]
    code = pytest.main(arguments, plugins=[reporter])
    return int(code), reporter.outcomes


def table(outcomes: list[Outcome], *, reports: bool = False) -> str:
    """The summary: one row per cassette; with ``reports``, each failure's whole report
    after it (else a diagnosis longer than its row, and a hint of ``-v``)."""
    width = max([len("cassette"), *(len(o.cassette) for o in outcomes)])
    lines = [f"{'cassette':<{width}}  result  why", f"{'-' * width}  ------  ---"]
    for outcome in outcomes:
        result = "passed" if outcome.passed else "FAILED"
        detail = ", ".join(outcome.differing) or outcome.error.split("\n", 1)[0][:200]
        if outcome.differing and outcome.reason:
            detail += f": {outcome.reason}"
        lines.append(f"{outcome.cassette:<{width}}  {result:<6}  {detail}".rstrip())
    passed = sum(o.passed for o in outcomes)
    lines.append(f"{passed} passed, {len(outcomes) - passed} failed")
    # A diagnosis longer than its row (the loader's names the fix) follows whole;
    # a replay's report, which can be long, with -v.
    for outcome in outcomes:
        long = not outcome.differing and "\n" in outcome.error
        if outcome.error and (long or reports):
            lines += ["", f"{outcome.cassette}:"]
            lines += ["  " + line for line in outcome.error.split("\n")]
    if not reports and any(o.differing for o in outcomes):
        lines += ["", "(chanreplay verify -v prints each failed replay's whole report)"]
    return "\n".join(lines)
