"""Display preferences: the text-size control (normal / large / larger).

Members' choice is saved on their account (`User.text_size`), visitors' in a
`text_size` cookie. `board.templating` reads either and puts the class on
<html>; `static/js/site.js` applies a choice at once without a round trip when
it can, and this endpoint is what works without JavaScript.
"""
from __future__ import annotations

from flask import Blueprint, redirect, request, url_for
from flask_login import current_user

from board.extensions import db

bp = Blueprint("display", __name__)

TEXT_SIZES = ("normal", "large", "larger")
COOKIE = "text_size"
ONE_YEAR = 365 * 24 * 3600


def _local_path(target: str | None) -> str | None:
    """Only a path on this site: one leading '/', no '//', no backslash, no control characters."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return None
    if any(ord(c) < 32 or ord(c) == 127 for c in target):
        return None
    return target


@bp.post("/settings/display")
def text_size():
    size = request.form.get("text_size", "")
    back = redirect(_local_path(request.form.get("next")) or url_for("forum.index"))
    if size not in TEXT_SIZES:
        return back  # an unknown size changes nothing; the page explains itself by not changing
    if current_user.is_authenticated:
        current_user.text_size = size
        db.session.commit()
    else:
        # Not HttpOnly on purpose: site.js updates the same cookie without a round trip,
        # and a browser ignores script writes to an HttpOnly cookie. It holds no secret.
        back.set_cookie(COOKIE, size, max_age=ONE_YEAR, samesite="Lax", secure=request.is_secure, path="/")
    return back
