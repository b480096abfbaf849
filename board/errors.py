"""Error pages in the site's style, each with a way back."""
from __future__ import annotations

from html import escape as html_escape

from flask import Flask, current_app, g, jsonify, render_template, request
from flask_wtf.csrf import CSRFError
from sqlalchemy.exc import OperationalError, InterfaceError
from werkzeug.exceptions import HTTPException

from board.limits import KEPT_FIELDS, body_too_large, describe_limits

MESSAGES = {
    400: ("Something went wrong with that request",
          "The page couldn't understand what was sent. Please go back and try again."),
    403: ("You can't do that here",
          "You don't have permission to see this page or do this action."),
    404: ("We couldn't find that page",
          "It may have been moved or removed, or the link may have a typo."),
    405: ("That didn't work",
          "This page can't be used that way. Please go back and try again."),
    413: ("That was more than Circle can take in one go",
          "What you sent was larger than Circle accepts, so none of it was read or saved."),
    429: ("Please slow down a little",
          "You've done that several times in a short while. Please wait a moment and try again."),
    500: ("Something went wrong on our side",
          "We're sorry. The problem has been logged. Please try again in a moment."),
    503: ("Circle is briefly unavailable",
          "We can't reach our database right now. Please try again in a minute — what you wrote is kept below if you were posting."),
}


def render_error(code: int, description: str | None = None, **extra):
    title, message = MESSAGES.get(code, MESSAGES[500])
    if request.path.startswith("/healthz") or request.accept_mimetypes.best == "application/json":
        return jsonify(error=title, status=code), code
    kept_text = extra.pop("kept_text", None)
    if kept_text is None and request.method == "POST" and code != 413:
        kept_text = _kept_text()
    if code == 413:
        extra.setdefault("limits", describe_limits(current_app))
    # Words that could not be posted (rate limit, expired form, outage) still get help at
    # once when they speak of crisis. The pure detector: no database, so it works in an outage.
    # (Imported here: board.moderation's views import this module, so a top-level import
    # made `import board.errors` fail when it came first, e.g. from board.messages.)
    from board.moderation.care import crisis_text
    from board.moderation.crisis import detect

    crisis_help = crisis_text() if kept_text and detect(kept_text) else None
    return render_template(
        "errors/error.html", code=code, title=title, message=description or message,
        kept_text=kept_text, crisis_help=crisis_help, **extra,
    ), code


def _kept_text() -> str | None:
    """A POSTed form's text, shown back on an error page so the member doesn't lose it.

    Each field is cut at the most it may hold (`limits.KEPT_FIELDS`), so an error
    page is never larger than a normal page plus those limits. The body is read
    only if it is already parsed or declares a length within the limit: a body
    that is too large, or comes without a length, is never read for an error page.
    """
    if "form" not in request.__dict__ and (request.content_length is None or body_too_large()):
        return None
    try:
        form = request.form
    except Exception:  # noqa: BLE001 - a malformed body must not turn into a second error
        return None
    parts = [form.get(name, "")[:limit] for name, limit in KEPT_FIELDS]
    text = "\n\n".join(p for p in parts if p and p.strip())
    return text or None


def _plain_503(kept_text: str | None) -> str:
    """A page that needs nothing but the standard library, for when even templates fail."""
    kept = ""
    if kept_text:
        kept = (
            "<h2>Your text, so it isn't lost</h2><label for='kept'>What you wrote</label>"
            f"<textarea id='kept' rows='8' readonly>{html_escape(kept_text)}</textarea>"
        )
    title, message = MESSAGES[503]
    return (
        f"<!doctype html><html lang='en'><head><meta charset='utf-8'><title>{title}</title></head>"
        f"<body><main><h1>{title}</h1><p>{message}</p>{kept}<p><a href='/'>Go to the home page</a></p>"
        "</main></body></html>"
    )


def register(app: Flask) -> None:
    @app.errorhandler(CSRFError)
    def csrf_error(error):
        return render_error(
            400, "Your form expired or was sent from somewhere else, so nothing was saved. "
            "Please go back, reload the page and try again."
        )

    @app.errorhandler(HTTPException)
    def http_error(error: HTTPException):
        code = error.code or 500
        description = None
        seconds = None
        if code == 429:
            from board.security import retry_after_seconds, when_to_try_again

            seconds = retry_after_seconds()
            description = (
                "You've done that several times in a short while, so we've paused it for a moment. "
                f"Please try again {when_to_try_again(seconds)}."
            )
        known = code if code in MESSAGES else (400 if 400 <= code < 500 else 500)
        body, _ = render_error(known, description)
        response = app.make_response((body, code))
        if code == 429 and seconds:
            response.headers["Retry-After"] = str(seconds)
        if code == 405 and error.valid_methods:
            response.headers["Allow"] = ", ".join(error.valid_methods)
        return response

    @app.errorhandler(OperationalError)
    @app.errorhandler(InterfaceError)
    def database_down(error):
        from board.extensions import db

        app.logger.error("Database unavailable: %s", error)
        try:
            db.session.rollback()
        except Exception:  # noqa: BLE001
            pass
        # Render without touching the database again: the page is drawn for an
        # anonymous visitor (a loaded member's attributes are expired by the rollback).
        g.database_down = True
        g._login_user = app.login_manager.anonymous_user()
        kept = _kept_text() if request.method == "POST" else None
        try:
            return render_error(503, kept_text=kept)
        except Exception:  # noqa: BLE001 - the last resort must not fail
            app.logger.exception("Could not render the 503 page")
            return _plain_503(kept), 503

    @app.errorhandler(500)
    def server_error(error):
        return render_error(500)
