"""The replayer: plans, drives and settles replays of cassettes (see :mod:`.driver`).

Submodules are imported where needed: the plan, secrets and update modules
are pure, the driver and capture need Django and Channels.
"""
