"""Reviewing cassettes: transcripts (``chanreplay show``) and review diffs (``chanreplay diff``).

Pure: imports neither Django nor Channels, so the CLI starts fast.
"""
