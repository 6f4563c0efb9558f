#!/usr/bin/env bash
# Run the test suite (installs what it needs first). Extra arguments go to pytest.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
# Tests that need Redis skip without one, except under CI=true where they fail.
exec .venv/bin/python -m pytest -n 4 "$@"
