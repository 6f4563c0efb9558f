"""The differ: compares cassettes (expected against actual, old against new) and reports.

Pure Python: it imports neither Django nor Channels, so the CLI starts fast.
"""

from chanreplay.diff.compare import CassetteDiff, Rules, diff_cassettes, diff_events
from chanreplay.diff.matchers import ANY, ANY_INT, ANY_NUMBER, ANY_STRING, Matcher, Regex
from chanreplay.diff.order import settle_layer_order
from chanreplay.diff.report import render_text

__all__ = [
    "ANY",
    "ANY_INT",
    "ANY_NUMBER",
    "ANY_STRING",
    "CassetteDiff",
    "Matcher",
    "Regex",
    "Rules",
    "diff_cassettes",
    "diff_events",
    "render_text",
    "settle_layer_order",
]
