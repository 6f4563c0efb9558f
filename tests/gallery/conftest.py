"""The gallery's apps are Django projects of their own: the main suite runs them in subprocesses."""

from __future__ import annotations

# Each app folder is collected by its own pytest run (tests/integration/test_gallery.py),
# with its own settings; this process must not import it.
collect_ignore_glob = ["*/*"]
