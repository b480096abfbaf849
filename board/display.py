"""Display preferences: text size (normal / large / larger) and theme (auto / light / dark).

Members' choice is saved on their account (`User.text_size`, `User.theme`), visitors' in a
`text_size` or `theme` cookie. A value that is not offered is ignored (the default is kept). `board.templating` reads either and puts the class on
<html>; `static/js/site.js` applies a choice at once without a round trip when
it can, and this endpoint is what works without JavaScript.
"""
from __future__ import annotations

from flask import Blueprint, redirect, request, url_for
from flask_login import current_user

from flask_wtf.csrf import CSRFError, validate_csrf
from wtforms import ValidationError

from board.auth.views import safe_next
from board.extensions import csrf, db

bp = Blueprint("display", __name__)

TEXT_SIZES = ("normal", "large", "larger")
THEMES = ("auto", "light", "dark")
COOKIE = "text_size"
THEME_COOKIE = "theme"
ONE_YEAR = 365 * 24 * 3600


@bp.post("/settings/display")
@csrf.exempt
def text_size():
    """CSRF: a member's choice is saved on their account, so it needs the token (checked
    here); a visitor's only sets their own cookie, so visitors' pages carry no token — and
    therefore no session cookie at all, which keeps reading anonymous and cacheable."""
    if current_user.is_authenticated:
        try:
            validate_csrf(request.form.get("csrf_token"))
        except ValidationError as exc:
            raise CSRFError(str(exc)) from exc
    size = request.form.get("text_size", "")
    theme = request.form.get("theme", "")
    back = redirect(safe_next(request.form.get("next")) or url_for("forum.index"))
    # An unknown value changes nothing; the page explains itself by not changing.
    size = size if size in TEXT_SIZES else None
    theme = theme if theme in THEMES else None
    if size is None and theme is None:
        return back
    if current_user.is_authenticated:
        if size:
            current_user.text_size = size
        if theme:
            current_user.theme = theme
        db.session.commit()
        return back
    # Not HttpOnly on purpose: site.js updates the text-size cookie without a round trip,
    # and a browser ignores script writes to an HttpOnly cookie. They hold no secret.
    if size:
        back.set_cookie(COOKIE, size, max_age=ONE_YEAR, samesite="Lax", secure=request.is_secure, path="/")
    if theme:
        back.set_cookie(THEME_COOKIE, theme, max_age=ONE_YEAR, samesite="Lax", secure=request.is_secure, path="/")
    return back
