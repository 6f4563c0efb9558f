#!/usr/bin/env bash
# The main job end to end on the example project: record a scripted session
# with `runserver --record`, stop the server, show the cassette, then replay
# it against the example project as a test.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh

demo="$(pwd)/demo"
rm -rf "$demo" && mkdir -p "$demo"
export EXAMPLE_DB_PATH="$demo/db.sqlite3"
python=".venv/bin/python"
port="${DEMO_PORT:-8765}"
cd tests/example_project

echo "== migrate and create the demo user"
"../../$python" manage.py migrate -v0
"../../$python" manage.py ensure_user alice wonderland-secret-1

echo "== start runserver --record demo"
"../../$python" manage.py runserver --record demo --cassette-dir "$demo/cassettes" \
    "127.0.0.1:$port" > "$demo/server.log" 2>&1 &
server=$!
trap 'kill -TERM $server 2>/dev/null || true' EXIT
for _ in $(seq 100); do
    if "../../$python" -c "import socket; socket.create_connection(('127.0.0.1', $port), 0.2)" 2>/dev/null; then
        break
    fi
    sleep 0.2
done

echo "== drive a scripted session with real websocket and HTTP clients"
"../../$python" drive_session.py --base "http://127.0.0.1:$port"

echo "== stop the server (SIGTERM): the cassette is finalised"
kill -TERM $server
wait $server || true
trap - EXIT
grep chanreplay "$demo/server.log"

echo "== the cassette: $demo/cassettes/demo.json"
"../../.venv/bin/chanreplay" show "$demo/cassettes/demo.json"

echo "== replay it: every cassette in $demo/cassettes is a test"
cat > "$demo/pytest.ini" <<'INI'
[pytest]
DJANGO_SETTINGS_MODULE = example.settings
pythonpath = ../tests/example_project
addopts = -p no:cacheprovider
INI
cat > "$demo/conftest.py" <<'PY'
import pytest

from drive_session import PASSWORD


@pytest.fixture
def chanreplay_config():
    # The recorded login form's password was redacted; the replay supplies it.
    return {"secrets": {"password": PASSWORD}}
PY
cd "$demo"
"../$python" -m pytest -v --chanreplay-cassettes cassettes
