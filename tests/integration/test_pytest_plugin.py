"""The pytest plugin, driven through pytester: a fresh pytest process on the example project."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from chanreplay.cassette import load
from tests.servers import EXAMPLE_PROJECT

CASSETTE = Path(__file__).parents[2] / "cassettes" / "example_session.json"
PASSWORD = "wonderland-secret-1"

INI = f"""
[pytest]
DJANGO_SETTINGS_MODULE = example.settings
pythonpath = {EXAMPLE_PROJECT}
asyncio_mode = auto
asyncio_default_fixture_loop_scope = function
addopts = -p no:cacheprovider -p no:randomly
"""

SHOUTING = """
import json
import pytest
from chat.consumers import ChatConsumer

async def shouting(self, event):
    await self.send(text_data=json.dumps({
        "type": "message", "message": event["message"].upper(),
        "user": event["user"], "room": event["room"],
    }))

@pytest.fixture(autouse=True)
def broken_chat(monkeypatch):
    monkeypatch.setattr(ChatConsumer, "chat_message", shouting)
"""


@pytest.fixture
def project(pytester: pytest.Pytester) -> pytest.Pytester:
    """A pytest project using the example app, with the example cassette in cassettes/."""
    pytester.makeini(INI)
    (pytester.path / "cassettes").mkdir()
    shutil.copy(CASSETTE, pytester.path / "cassettes" / "session.json")
    return pytester


def run(project: pytest.Pytester, *args: str) -> pytest.RunResult:
    return project.runpytest_subprocess(*args, timeout=300)


def test_the_replay_fixture_passes_and_fails(project: pytest.Pytester) -> None:
    """replay() passes on the unchanged app and fails with the report on a changed one."""
    project.makepyfile(
        test_chat="""
        CHAT = ["/ws/chat/*"]

        def test_replays(replay, django_user_model):
            django_user_model.objects.create_user("alice")
            replay("cassettes/session.json", include=CHAT)

        def test_fails_when_the_consumer_changed(replay, django_user_model, monkeypatch):
            from chat.consumers import ChatConsumer
            import conftest_shout
            monkeypatch.setattr(ChatConsumer, "chat_message", conftest_shout.shouting)
            django_user_model.objects.create_user("alice")
            replay("cassettes/session.json", include=CHAT)
        """,
        conftest_shout=SHOUTING,
    )
    result = run(project)
    result.assert_outcomes(passed=1, failed=1)
    result.stdout.fnmatch_lines(
        [
            "*ReplayMismatch: replay of *session.json does not match what the application "
            "did: 2 connections differ: * events changed",
            "*message.text.message:*",
            '*expected "hello"*',
        ]
    )
    # The test's own line is where it failed: none of chanreplay's frames in between.
    assert "chanreplay/testing/replay.py" not in result.stdout.str()
    assert "chanreplay/pytest_plugin.py" not in result.stdout.str()


def test_the_marker_replays_after_the_test_body(project: pytest.Pytester) -> None:
    """A marked test replays its cassette once its body (which creates the user) is done."""
    project.makepyfile(
        test_marked="""
        import pytest

        @pytest.mark.chanreplay("cassettes/session.json", include=["/ws/chat/*"])
        def test_with_user(django_user_model):
            django_user_model.objects.create_user("alice")

        @pytest.mark.chanreplay("cassettes/session.json", include=["/ws/chat/*"])
        def test_without_user():
            pass

        @pytest.mark.chanreplay("cassettes/session.json", include=["/ws/notes/"])
        def test_called_by_the_body_replays_once(replay, django_user_model):
            django_user_model.objects.create_user("alice")
            replay()  # a second replay would find the first one's notes and fail
        """
    )
    result = run(project)
    result.assert_outcomes(passed=2, failed=1)
    result.stdout.fnmatch_lines(
        ["*ReplayError: cassettes/session.json replays connections of user 'alice'*"]
    )
    assert "FAILED test_marked.py::test_without_user" in result.stdout.str()


def test_chanreplay_config_gives_defaults(project: pytest.Pytester) -> None:
    """Options of the chanreplay_config fixture apply to every replay of its scope."""
    project.makeconftest(
        """
        import pytest

        @pytest.fixture
        def chanreplay_config():
            return {"include": ["/ws/echo/", "/ws/binary/"]}
        """
    )
    project.makepyfile(
        test_config="""
        def test_echo_and_binary_only(replay):
            result = replay("cassettes/session.json")
            assert [c.path for c in result.actual.connections] == ["/ws/echo/", "/ws/binary/"]
        """
    )
    run(project).assert_outcomes(passed=1)


def test_a_directory_of_cassettes_becomes_tests(project: pytest.Pytester) -> None:
    """--chanreplay-cassettes DIR: one test item per cassette, users created for them."""
    broken = load(project.path / "cassettes" / "session.json")
    connection = broken.connection("c8")  # /ws/echo/
    connection.events[4]["message"]["text"] = "echo: something else"
    from chanreplay.cassette import writer

    writer.write(broken, project.path / "cassettes" / "broken.json")
    # What a recording keeps beside its cassette for reading is no cassette.
    (project.path / "cassettes" / ".session.values.json").write_text('{"bindings": {}}')
    project.makeconftest(
        f"""
        import pytest

        @pytest.fixture
        def chanreplay_config():
            return {{"secrets": {{"password": "{PASSWORD}"}}}}
        """
    )
    result = run(project, "--chanreplay-cassettes", "cassettes", "-v")
    result.assert_outcomes(passed=1, failed=1)
    result.stdout.fnmatch_lines(
        [
            "*cassettes/broken.json::broken FAILED*",
            "*cassettes/session.json::session PASSED*",
        ]
    )


def test_an_unknown_cassette_directory_is_a_usage_error(project: pytest.Pytester) -> None:
    """A directory that does not exist is reported, not silently ignored."""
    result = run(project, "--chanreplay-cassettes", "no-such-dir")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["*--chanreplay-cassettes no-such-dir: no such directory*"])


def test_update_rewrites_the_cassette_to_the_new_behaviour(
    project: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    """--chanreplay-update re-blesses a differing cassette; the next run passes without it."""
    monkeypatch.delenv("CI", raising=False)  # updating is a developer's job, refused under CI
    project.makeconftest(SHOUTING)
    project.makepyfile(
        test_chat="""
        def test_chat(replay, django_user_model):
            django_user_model.objects.create_user("alice")
            replay("cassettes/session.json", include=["/ws/chat/*"])
        """
    )
    path = project.path / "cassettes" / "session.json"
    before = path.read_bytes()
    run(project).assert_outcomes(failed=1)
    assert path.read_bytes() == before  # a failing test never writes
    result = run(project, "--chanreplay-update")
    result.assert_outcomes(passed=1)
    result.stdout.fnmatch_lines(["*updated 1 cassette(s)*", "*cassettes/session.json"])
    updated = load(path)
    texts = [e["message"].get("text") for e in updated.connection("c4").events if e["dir"] == "out"]
    assert {
        "$json": {"message": "HELLO", "room": "lobby", "type": "message", "user": "alice"}
    } in texts
    # Only the behaviour changed: the inputs and the other connections are kept.
    original = load(CASSETTE)
    assert updated.connection("c7") == original.connection("c7")
    assert [e for e in updated.connection("c4").events if e["dir"] == "in"] == [
        e for e in original.connection("c4").events if e["dir"] == "in"
    ]
    run(project).assert_outcomes(passed=1)


def test_update_is_refused_under_ci(
    project: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    """CI never rewrites cassettes: updating there is an error that says so."""
    monkeypatch.setenv("CI", "true")
    project.makepyfile(
        test_chat="""
        def test_chat(replay, django_user_model):
            django_user_model.objects.create_user("alice")
            replay("cassettes/session.json", include=["/ws/chat/*"])
        """
    )
    result = run(project, "--chanreplay-update")
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(
        ["*update mode (--chanreplay-update or CHANREPLAY_UPDATE=1) is asked for under CI=true*"]
    )


def test_works_under_xdist(project: pytest.Pytester) -> None:
    """Fixture tests and collected cassettes run on several workers."""
    project.makeconftest(
        f"""
        import pytest

        @pytest.fixture
        def chanreplay_config():
            return {{"secrets": {{"password": "{PASSWORD}"}}}}
        """
    )
    project.makepyfile(
        test_many="""
        import pytest

        @pytest.mark.parametrize("path", ["/ws/chat/*", "/ws/echo/", "/ws/binary/", "/ws/notes/"])
        def test_part(replay, django_user_model, path):
            django_user_model.objects.create_user("alice")
            replay("cassettes/session.json", include=[path])
        """
    )
    result = run(project, "-n", "2", "--chanreplay-cassettes", "cassettes")
    result.assert_outcomes(passed=5)


def test_async_tests_use_areplay(project: pytest.Pytester) -> None:
    """An async test awaits replay.areplay() (transactional database: other threads see it)."""
    project.makepyfile(
        test_async="""
        import pytest

        @pytest.mark.django_db(transaction=True)
        async def test_async(replay):
            from asgiref.sync import sync_to_async
            from django.contrib.auth import get_user_model
            await sync_to_async(get_user_model().objects.create_user)("alice")
            await replay.areplay("cassettes/session.json", include=["/ws/chat/*", "/ws/notes/"])
        """
    )
    run(project).assert_outcomes(passed=1)


ECHO_TEST = """
import os
import pytest
from channels.testing import WebsocketCommunicator

ORIGIN = [(b"origin", b"http://127.0.0.1")]


@pytest.mark.chanreplay("echo_flow")
@pytest.mark.django_db(transaction=True)
async def test_echo(chanreplay_app):
    for number in range(int(os.environ.get("CONNECTIONS", "1"))):
        communicator = WebsocketCommunicator(chanreplay_app, "/ws/echo/", headers=ORIGIN)
        connected, _ = await communicator.connect()
        assert connected
        await communicator.send_to(text_data=f"hello {number}")
        assert await communicator.receive_from() == f"echo: hello {number}"
        await communicator.disconnect()
"""


def _echo_texts(path: Path) -> list[str]:
    return [
        e["message"]["text"]
        for c in load(path).connections
        for e in c.events
        if e["dir"] == "out" and e["message"]["type"] == "websocket.send"
    ]


def test_record_modes_for_a_tests_own_traffic(
    project: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    """none needs the cassette; once records it, then compares; new_episodes appends."""
    monkeypatch.delenv("CI", raising=False)
    project.makepyfile(test_echo=ECHO_TEST)
    path = project.path / "cassettes" / "echo_flow.json"
    result = run(project)
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(
        [
            "*echo_flow.json: no such cassette, and record mode 'none' does not record one",
            "*fix: run the test once with --chanreplay-record-mode=once to record it*",
        ]
    )
    assert not path.exists()
    run(project, "--chanreplay-record-mode=once").assert_outcomes(passed=1)
    assert _echo_texts(path) == ["echo: hello 0"]
    run(project).assert_outcomes(passed=1)  # compared with what was recorded
    monkeypatch.setenv("CONNECTIONS", "2")
    result = run(project)
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(["*connection c2 (websocket /ws/echo/): unexpected*"])
    run(project, "--chanreplay-record-mode=new_episodes").assert_outcomes(passed=1)
    assert _echo_texts(path) == ["echo: hello 0", "echo: hello 1"]
    run(project).assert_outcomes(passed=1)


def test_a_changed_consumer_fails_the_test_and_all_rerecords(
    project: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A behaviour change fails with the report; record mode all writes the new behaviour."""
    monkeypatch.delenv("CI", raising=False)
    project.makepyfile(test_echo=ECHO_TEST.replace('f"echo: hello {number}"', "reply"))
    project.makeconftest(
        """
        import os
        import pytest
        from chat.consumers import EchoConsumer

        @pytest.fixture(autouse=True)
        def shouting_echo(monkeypatch):
            if os.environ.get("SHOUT"):
                def receive(self, text_data=None, bytes_data=None):
                    self.send(text_data=f"ECHO: {text_data}")
                monkeypatch.setattr(EchoConsumer, "receive", receive)
        """
    )
    (project.path / "test_echo.py").write_text(
        (project.path / "test_echo.py")
        .read_text()
        .replace(
            "assert await communicator.receive_from() == reply",
            "await communicator.receive_from()",
        )
    )
    path = project.path / "cassettes" / "echo_flow.json"
    run(project, "--chanreplay-record-mode=once").assert_outcomes(passed=1)
    monkeypatch.setenv("SHOUT", "1")
    result = run(project)
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(
        [
            "*what test_echo made the application do does not match*echo_flow.json: "
            "1 connection differs*",
            '*expected "echo: hello 0"*',
            '*actual   "ECHO: hello 0"*',
        ]
    )
    run(project, "--chanreplay-record-mode=all").assert_outcomes(passed=1)
    assert _echo_texts(path) == ["ECHO: hello 0"]


def test_ci_never_records(project: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> None:
    """Under CI=true every record mode is none: a missing cassette fails instead of appearing."""
    monkeypatch.setenv("CI", "true")
    project.makepyfile(test_echo=ECHO_TEST)
    result = run(project, "--chanreplay-record-mode=all")
    result.assert_outcomes(failed=1)
    assert not (project.path / "cassettes" / "echo_flow.json").exists()


def test_test_clients_talk_to_the_recorded_application(
    project: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A synchronous pytest test driving WSClient with chanreplay_app records its cassette."""
    monkeypatch.delenv("CI", raising=False)
    project.makepyfile(
        test_clients="""
        import pytest
        from chanreplay.testing import WSClient

        @pytest.mark.chanreplay("client_flow")
        def test_echo(chanreplay_app, db):
            client = WSClient()
            client.send_and_consume("websocket.connect", path="/ws/echo/")
            client.send_and_consume("websocket.receive", path="/ws/echo/", text="hi")
            assert client.receive(json=False) == "echo: hi"
            client.send_and_consume("websocket.disconnect", path="/ws/echo/")
        """
    )
    run(project, "--chanreplay-record-mode=once").assert_outcomes(passed=1)
    path = project.path / "cassettes" / "client_flow.json"
    assert _echo_texts(path) == ["echo: hi"]
    run(project).assert_outcomes(passed=1)


def test_a_test_asking_only_for_replay_gets_the_test_database(project: pytest.Pytester) -> None:
    """pytest-django sets up the databases the collected tests declare: a replaying test
    declares one, so the replay never runs against the development database."""
    project.makepyfile(
        test_db="""
        from django.db import connection

        def test_only_replay(replay):
            assert "memory" in connection.settings_dict["NAME"]  # SQLite's test database
            replay("cassettes/session.json", include=["/ws/echo/"])
        """
    )
    run(project).assert_outcomes(passed=1)


def test_collected_cassettes_without_django_settings_are_a_usage_error(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("DJANGO_SETTINGS_MODULE", raising=False)
    pytester.makeini("[pytest]\naddopts = -p no:cacheprovider\n")
    (pytester.path / "cassettes").mkdir()
    shutil.copy(CASSETTE, pytester.path / "cassettes" / "session.json")
    result = pytester.runpytest_subprocess("--chanreplay-cassettes", "cassettes", timeout=300)
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(
        ["*--chanreplay-cassettes cassettes: Django's settings are not configured*--ds*"]
    )


def test_cassettes_outside_the_project_name_why_its_settings_were_not_read(
    pytester: pytest.Pytester,
) -> None:
    """`--chanreplay-cassettes ../dir` moves pytest's rootdir off the project (pytest reads
    the path before it knows the option): an error says so and how to write it instead."""
    project = pytester.path / "project"
    project.mkdir()
    (project / "pytest.ini").write_text(INI)
    (pytester.path / "shared").mkdir()
    shutil.copy(CASSETTE, pytester.path / "shared" / "session.json")

    def from_the_project(*arguments: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(  # as a user runs it
            [sys.executable, "-m", "pytest", *arguments],
            cwd=project,
            capture_output=True,
            text=True,
            timeout=300,
            env={k: v for k, v in os.environ.items() if k != "DJANGO_SETTINGS_MODULE"},
        )

    done = from_the_project("--chanreplay-cassettes", "../shared")
    assert done.returncode == pytest.ExitCode.USAGE_ERROR, done.stdout + done.stderr
    assert f"pytest did not read {project / 'pytest.ini'}" in done.stderr
    assert "--chanreplay-cassettes=../shared, or pass -c pytest.ini" in done.stderr
    fixed = from_the_project("--chanreplay-cassettes=../shared", "--collect-only", "-q")
    assert fixed.returncode == 0, fixed.stdout + fixed.stderr
    assert "session.json::session" in fixed.stdout  # collected, with the settings read


def test_a_skipped_replay_fails_under_ci(
    project: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    project.makepyfile(
        test_skip="""
        import pytest

        def test_replay_skipped(replay):
            pytest.skip("no Redis here")

        def test_other_skipped():
            pytest.skip("not a replay")
        """
    )
    monkeypatch.delenv("CI", raising=False)
    run(project).assert_outcomes(skipped=2)
    monkeypatch.setenv("CI", "true")
    result = run(project)
    result.assert_outcomes(failed=1, skipped=1)
    result.stdout.fnmatch_lines(
        ["*a replay was skipped under CI=true, where every replay must run*no Redis here*"]
    )


def test_the_captive_layers_fixture_gives_pytest_tests_the_toolkits_layers(
    project: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Under a Redis layer no server answers, the fixture's tests pass; without it, it says why."""
    monkeypatch.setenv("EXAMPLE_CHANNEL_LAYER", "redis")
    monkeypatch.setenv("REDIS_URL", "redis://127.0.0.1:9/0")  # discard port: nothing listens
    project.makepyfile(
        test_toolkit="""
        import pytest
        from chanreplay.testing import Group, WSClient

        @pytest.mark.django_db
        def test_a_chat(captive_layers, django_user_model):
            alice, bob = WSClient(), WSClient()
            alice.force_login(django_user_model.objects.create_user("alice"))
            alice.send_and_consume("websocket.connect", path="/ws/chat/lobby/")
            bob.send_and_consume("websocket.connect", path="/ws/chat/lobby/")
            alice.send_and_consume("websocket.receive", text={"message": "hi"})
            assert bob.receive()["message"] == "hi"

        def test_a_group(captive_layers):
            Group("watchers").add("test-channel")
            Group("watchers").send({"type": "seen", "value": 42})
            assert captive_layers.get_next_message("test-channel", require=True)["value"] == 42

        def test_nothing_leaks_from_the_last_test(captive_layers):
            assert captive_layers.get_next_message("test-channel") is None

        @pytest.mark.django_db
        def test_without_the_fixture():
            WSClient().send_and_consume("websocket.connect", path="/ws/chat/lobby/")
        """
    )
    result = run(project)
    result.assert_outcomes(passed=3, failed=1)
    result.stdout.fnmatch_lines(
        [
            "*test_without_the_fixture*",
            "*configured channel layer 'default' (RedisChannelLayer), not a captive one*",
        ]
    )
