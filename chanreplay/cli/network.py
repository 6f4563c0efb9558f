"""The network commands: ``proxy``, ``play`` and ``serve``."""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path
from typing import TYPE_CHECKING

import click

from chanreplay.cli.common import (
    FORMATS,
    IGNORE_HELP,
    MATCH_HELP,
    fail,
    listen_address,
    pairs_of,
    rules_of,
)
from chanreplay.exceptions import ChanreplayError

if TYPE_CHECKING:
    from aiohttp import web

    from chanreplay.recorder.recording import Recording

__all__ = ["event_loop", "play_command", "proxy_command", "serve_command"]


def event_loop() -> asyncio.AbstractEventLoop:
    """The event loop the network servers run on: uvloop's where it is installed.

    The proxy's extra brings uvloop: relaying frames is mostly event loop
    work, and on uvloop's the proxy spends about a fifth less CPU per
    message (see benchmarks/proxy_throughput.py). Without it, asyncio's own.
    """
    try:
        import uvloop
    except ImportError:
        return asyncio.new_event_loop()
    loop: asyncio.AbstractEventLoop = uvloop.new_event_loop()
    return loop


def _need_the_proxy_extra(command: str) -> None:
    """Exit with the extra to install when the network tools' dependencies are missing."""
    from chanreplay.extras import require

    try:
        require(f"chanreplay {command}", "aiohttp", "websockets")
    except ChanreplayError as error:
        fail(error)


@click.command("proxy")
@click.option(
    "--upstream", required=True, metavar="URL", help="the server to forward to (http://host:port)"
)
@click.option(
    "--listen",
    default="127.0.0.1:8001",
    show_default=True,
    metavar="HOST:PORT",
    help="where clients connect (loopback unless told otherwise)",
)
@click.option("--record", "name", metavar="NAME", help="record into CASSETTE_DIR/NAME.json")
@click.option(
    "--cassette-dir",
    type=click.Path(path_type=Path),
    default=Path("cassettes"),
    show_default=True,
)
@click.option(
    "--record-mode",
    type=click.Choice(["once", "new_episodes", "all"]),
    default="once",
    show_default=True,
    help="what to do when the cassette exists",
)
def proxy_command(
    upstream: str, listen: str, name: str | None, cassette_dir: Path, record_mode: str
) -> None:
    """Forward HTTP and websockets to UPSTREAM, recording what clients see.

    Point a browser at --listen instead of the server. With --record, the
    traffic goes into a cassette as in-process recording writes it (journal
    first; Ctrl-C writes the cassette).
    """
    _need_the_proxy_extra("proxy")
    from chanreplay.proxy.server import CaptureProxy
    from chanreplay.recorder.recording import Recording

    host, port = listen_address(listen)
    _can_listen(host, port, listen)  # before a recording starts: a failed start records nothing
    recording = None
    try:
        if name:
            recording = Recording(name, cassette_dir=cassette_dir, mode=record_mode)
            _learn_the_projects_secrets(recording)
            click.echo(f"chanreplay: {recording.start()}")
        proxy = CaptureProxy(upstream, recording)
    except (ChanreplayError, ValueError) as error:
        fail(ChanreplayError(str(error)))
    click.echo(f"chanreplay proxy: http://{listen} -> {proxy.upstream}")
    try:
        _run(proxy.application(), listen, shutdown_timeout=5)
    finally:
        if recording is not None:
            result = recording.stop()
            if result is not None:
                from chanreplay.recorder.compiler import outcome

                click.echo(f"chanreplay: {outcome(result, recording.cassette_path)}")


def _learn_the_projects_secrets(recording: Recording) -> None:
    """The secrets of the Django project the proxy runs in (its settings' SECRET_KEY,
    passwords, signing keys), known before the first event: what a view echoes of them
    is written redacted, as ``runserver --record`` writes it."""
    from chanreplay.cassette.redaction import MIN_FIELD_SCRUB_LENGTH
    from chanreplay.cli.project import project_secrets

    secrets, _, unread = project_secrets()
    if unread is not None:
        click.echo(f"chanreplay proxy: {unread}", err=True)
    for secret in secrets:
        recording.redactor.learn(secret, minimum=MIN_FIELD_SCRUB_LENGTH)


@click.command("play")
@click.argument("cassette")
@click.option("--against", "base", required=True, metavar="URL", help="the running server")
@click.option("--include", multiple=True, metavar="GLOB", help="play only these connections")
@click.option("--exclude", multiple=True, metavar="GLOB", help="leave these connections out")
@click.option(
    "--secret",
    "secrets",
    multiple=True,
    metavar="NAME[@USER]=VALUE",
    help="a value for a redacted field (password=...), for logins the cassette plays; "
    "NAME@USER=VALUE for one user's own (password@bob=...)",
)
@click.option("--timeout", default=10.0, show_default=True, help="seconds to wait for a reply")
@click.option(
    "--session-cookie",
    default="sessionid",
    show_default=True,
    metavar="NAME",
    help="the server's session cookie (Django's SESSION_COOKIE_NAME)",
)
@click.option(
    "--csrf-cookie",
    default="csrftoken",
    show_default=True,
    metavar="NAME",
    help="the server's CSRF cookie (Django's CSRF_COOKIE_NAME)",
)
@click.option(
    "--exact",
    multiple=True,
    metavar="PATH",
    help="a place the recording kept exact (its CHANREPLAY['EXACT_PATHS']); repeatable",
)
@click.option("--ignore", multiple=True, metavar="PATH", help=IGNORE_HELP)
@click.option("--match", "matches", multiple=True, metavar="PATH=MATCHER", help=MATCH_HELP)
@click.option("--format", "fmt", type=click.Choice(FORMATS[:2]), default="text", show_default=True)
def play_command(
    cassette: str,
    base: str,
    include: tuple[str, ...],
    exclude: tuple[str, ...],
    secrets: tuple[str, ...],
    timeout: float,
    session_cookie: str,
    csrf_cookie: str,
    exact: tuple[str, ...],
    ignore: tuple[str, ...],
    matches: tuple[str, ...],
    fmt: str,
) -> None:
    """Play the client side of CASSETTE against a running server; report what differs.

    Exit status 0 when the server behaves as recorded, 1 when not, 2 on an error.
    """
    import asyncio

    _need_the_proxy_extra("play")
    from chanreplay.cassette.asgi import check_messages
    from chanreplay.diff import diff_cassettes
    from chanreplay.proxy.play import play
    from chanreplay.review.changes import render_diff
    from chanreplay.review.sources import read

    given = pairs_of(secrets)
    rules = rules_of(ignore, matches)
    try:
        loaded = read(cassette)
        check_messages(loaded, cassette)
        result = asyncio.run(
            play(
                loaded,
                base,
                include=include,
                exclude=exclude,
                secrets=given,
                patience=timeout,
                session_cookie=session_cookie,
                csrf_cookie=csrf_cookie,
                exact=exact,
            )
        )
    except ChanreplayError as error:
        fail(error)
    except ConnectionError as error:
        fail(ChanreplayError(f"cannot play against {error}"))
    diff = diff_cassettes(result.expected, result.actual, rules)
    click.echo(render_diff(diff, old=cassette, new=base, markdown=fmt == "markdown"), nl=False)
    if result.skipped:
        click.echo(
            f"({result.skipped} external layer operations are not playable over the network)"
        )
    if result.stalled:
        click.echo(f"the play stopped early: it {result.stalled}")
    sys.exit(0 if diff.equal and not result.stalled else 1)


@click.command("serve")
@click.argument("cassette")
@click.option(
    "--listen",
    default="127.0.0.1:8002",
    show_default=True,
    metavar="HOST:PORT",
    help="where clients connect",
)
@click.option("--include", multiple=True, metavar="GLOB", help="serve only these connections")
@click.option("--exclude", multiple=True, metavar="GLOB", help="leave these connections out")
@click.option(
    "--secret",
    "secrets",
    multiple=True,
    metavar="NAME[@USER]=VALUE",
    help="a value for a redacted field: replies carry it, clients must send it; "
    "NAME@USER=VALUE for one user's own",
)
def serve_command(
    cassette: str,
    listen: str,
    include: tuple[str, ...],
    exclude: tuple[str, ...],
    secrets: tuple[str, ...],
) -> None:
    """Answer clients with the server side of CASSETTE: a mock of the recorded server.

    A client that sends what the cassette recorded gets the recorded replies;
    anything else gets a clear refusal (404, 403 for a wrong secret, or close
    code 4400) and a log line.
    """
    import logging

    _need_the_proxy_extra("serve")
    from chanreplay.cassette.asgi import check_messages
    from chanreplay.proxy.serve import MockServer
    from chanreplay.review.sources import read

    listen_address(listen)  # a usage error before the cassette is read
    try:
        loaded = read(cassette)
        check_messages(loaded, cassette)
    except ChanreplayError as error:
        fail(error)
    given = pairs_of(secrets)
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    server = MockServer(loaded, include=include, exclude=exclude, secrets=given)
    click.echo(f"chanreplay serve: {len(server.unused)} recorded connections at http://{listen}")
    unfilled = server.unfilled()
    if unfilled:
        places = "; ".join(f"{name!r} ({place})" for name, place in unfilled.items())
        click.echo(
            f"chanreplay serve: replies send made-up values for {places}; "
            "give --secret NAME=VALUE to send values of your own"
        )
    _run(server.application(), listen, shutdown_timeout=2)


def _run(application: web.Application, listen: str, *, shutdown_timeout: float) -> None:
    """Serve ``application`` at ``listen`` until Ctrl-C, on uvloop where installed; a
    clear error, not a traceback, when nothing can listen there."""
    from aiohttp import web

    host, port = listen_address(listen)
    try:
        web.run_app(
            application,
            host=host,
            port=port,
            print=None,
            shutdown_timeout=shutdown_timeout,
            loop=event_loop(),
        )
    except OSError as error:
        fail(_cannot_listen(listen, error))


def _can_listen(host: str, port: int, listen: str) -> None:
    """End the command with a clear error if nothing can listen at ``host:port`` now."""
    import socket

    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
        family, kind, protocol, _, address = infos[0]
        with socket.socket(family, kind, protocol) as probe:
            probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            probe.bind(address)
    except OSError as error:
        fail(_cannot_listen(listen, error))


def _cannot_listen(listen: str, error: OSError) -> ChanreplayError:
    """Why a server command could not listen where it was told to, and what to do."""
    return ChanreplayError(
        f"cannot listen on {listen}: {error.strerror or error}; fix: give --listen another "
        "HOST:PORT (a port no other server holds)"
    )
