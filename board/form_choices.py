"""Choices for WTForms select, radio and checkbox fields.

WTForms 3.3 deprecates (value, label) tuples in `choices=` (removed in 3.4);
every form builds its choices here, so the next upgrade changes one place.
"""
from __future__ import annotations

from collections.abc import Iterable

from wtforms.fields.choices import SelectChoice


def choices(pairs: Iterable[tuple[object, str]]) -> list[SelectChoice]:
    """(value, label) pairs as WTForms choices, in the order given."""
    return [SelectChoice(value, label) for value, label in pairs]
