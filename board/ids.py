"""Ids typed into addresses and forms: one rule for what can be a row id."""
from __future__ import annotations

MAX_ID = 2**31 - 1  # ids are INTEGER columns; PostgreSQL refuses a larger parameter outright ("out of range")


def parse_id(value: str | None) -> int | None:
    """The id in `value`, or None if it can't be one (not ASCII digits, zero, or past INTEGER).

    ASCII only: str.isdigit() also accepts "²", which int() then refuses.
    """
    if not value or len(value) > 10 or not (value.isascii() and value.isdigit()):
        return None
    number = int(value)
    return number if 0 < number <= MAX_ID else None
