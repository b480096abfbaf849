"""Countries a member can choose (ISO 3166-1, from pycountry), for the crisis notice's helplines."""
from __future__ import annotations

import functools

import pycountry


@functools.cache
def countries() -> tuple[tuple[str, str], ...]:
    """(code, name) for every country, sorted by the name people use ("Bolivia", not "Bolivia,
    Plurinational State of")."""
    named = [(c.alpha_2, getattr(c, "common_name", None) or c.name) for c in pycountry.countries]
    return tuple(sorted(named, key=lambda pair: pair[1].casefold()))


def is_country(code: str) -> bool:
    return code in dict(countries())
