"""Rows the recorded session assumes: none (the echo app keeps no data)."""


def seed() -> None:
    pass
