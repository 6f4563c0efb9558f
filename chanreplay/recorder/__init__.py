"""The recorder: the journal, the recording session, and where they attach to Django.

Importing this package imports neither Django nor Channels; the modules that
need them (:mod:`chanreplay.recorder.activation`,
:mod:`chanreplay.recorder.identity`) do so themselves.
"""
