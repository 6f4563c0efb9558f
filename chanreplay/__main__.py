"""``python -m chanreplay``: the command-line tool."""

from chanreplay.cli import main

main()
