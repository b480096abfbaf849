"""Ids typed into addresses and forms: one rule for what can be a row id."""
from __future__ import annotations

from werkzeug.routing import IntegerConverter

MAX_ID = 2**31 - 1  # ids are INTEGER columns; PostgreSQL refuses a larger parameter outright ("out of range")


def parse_id(value: str | None) -> int | None:
    """The id in `value`, or None if it can't be one (not ASCII digits, zero, or past INTEGER).

    ASCII only: str.isdigit() also accepts "²", which int() then refuses.
    """
    if not value or len(value) > 10 or not (value.isascii() and value.isdigit()):
        return None
    number = int(value)
    return number if 0 < number <= MAX_ID else None


class IdConverter(IntegerConverter):
    """`<int:…>` in every route (board.create_app): an id past INTEGER is simply not found.

    Without a bound, /threads/99999999999999 reached PostgreSQL as an INTEGER
    parameter and failed with "integer out of range" (a 500); now the route does
    not match and the visitor gets the 404 page, on both engines.
    """

    def __init__(self, map, fixed_digits=0, min=None, max=MAX_ID, signed=False):  # noqa: A002 - werkzeug's names
        super().__init__(map, fixed_digits=fixed_digits, min=min, max=max, signed=signed)
