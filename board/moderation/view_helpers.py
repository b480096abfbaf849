"""Small helpers the moderation pages share."""
from __future__ import annotations

from flask import abort, request
from wtforms.fields.choices import SelectChoice

from board.extensions import db
from board.form_choices import choices
from board.ids import parse_id
from board.models import CannedReason
from board.moderation.lists import canned_reasons


def int_arg(name: str) -> int | None:
    value = request.args.get(name, "")
    if not value:
        return None
    number = parse_id(value)
    if number is None:
        abort(404)
    return number


def unique_ids(form, prefix: str):
    """Unique element ids when several forms share a page (field names stay as they are)."""
    for f in form:
        if f.name != "csrf_token":
            f.id = f"{prefix}-{f.name}"
            f.label.field_id = f.id
    return form


def reason_choices() -> list[SelectChoice]:
    return choices([("", "— Choose a reason —")] + [(str(r.id), r.title) for r in canned_reasons()])


def reason_from(form_value: str | None) -> CannedReason | None:
    if not form_value:
        return None
    reason_id = parse_id(form_value)
    return None if reason_id is None else db.session.get(CannedReason, reason_id)
