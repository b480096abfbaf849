"""How much a member may send, in one place.

**Text limits** (characters, counted the way the text is stored: a line break is
one character) are used by the forms, the services, the error pages that show a
member's words back (never more than a field may hold) and the 413 page that
tells her what the limits are.

**Request-body limits** (bytes) are enforced before the body is read:

* `MAX_CONTENT_LENGTH` (`BOARD_MAX_REQUEST_BYTES`, 2 MB) for every request. A
  body that declares a larger `Content-Length` is refused with 413 before any
  hook reads it (`refuse_oversized_body` runs first, whatever the endpoint and
  method, even for an unknown URL); a chunked body without a length is read
  through a limited stream that answers 413 at the first byte past the limit.
* `MAX_FORM_MEMORY_SIZE` (one text part of a multipart body) and
  `MAX_FORM_PARTS` (parts in a multipart body), set in config.py.
* A view that must take more (the image uploads) says so, under its route
  decorator, and names the setting that holds its limit::

      @bp.post("/images/new")
      @login_required
      @larger_body("BOARD_MAX_IMAGE_REQUEST_BYTES", "An image")
      def upload_image(): ...

  The setting must be a positive number of bytes: Circle refuses to start
  otherwise (a larger limit, never an unlimited one). Its label and size are
  listed on the 413 page. The proxy in front (nginx `client_max_body_size`)
  must allow the largest of these limits on that path, and the site limit
  everywhere else (README, "Serving Circle in production").

`BodyLimitedRequest` is the application's request class: its
`max_content_length` is the limit of the view the request is for, so every
reader of the body (CSRF, rate-limit keys, the form) gets the same answer. Its
body stream fixes two gaps in what Werkzeug does with a chunked body (no
length): Werkzeug stops reading quietly at the limit and parses what it has (a
50 MB chunked form became a truncated form and a 400), where Circle answers 413;
and a malformed chunk that the server reports with its own exception (gunicorn's
InvalidChunkSize is not an OSError) is a 400, not a 500.
"""
from __future__ import annotations

from collections.abc import Callable
from typing import IO

from flask import Flask, Request, current_app, request
from werkzeug.exceptions import BadRequest, RequestEntityTooLarge
from werkzeug.utils import cached_property
from werkzeug.wsgi import LimitedStream, get_input_stream

# ---------------------------------------------------------------- text limits (characters)

POST_TITLE_MAX = 150
POST_BODY_MAX = 20_000
STORY_TITLE_MAX = 150
STORY_BODY_MAX = 10_000
MESSAGE_BODY_MAX = 10_000  # private messages (board/messages)
NOTE_MAX = 1_000  # reports and moderators' notes

#: What an error page may show back of a posted form: (field name, the most that field may hold).
KEPT_FIELDS = (("title", POST_TITLE_MAX), ("body", POST_BODY_MAX), ("note", NOTE_MAX))

# ---------------------------------------------------------------- request-body limits (bytes)

DEFAULT_MAX_REQUEST_BYTES = 2 * 1024 * 1024
_SETTING = "circle_body_limit_setting"
_LABEL = "circle_body_limit_label"


def larger_body(setting: str, label: str) -> Callable:
    """Let one view take a body of up to `app.config[setting]` bytes instead of the site limit.

    Put it below the route decorator (decorators that use functools.wraps, like
    login_required, carry the mark). `label` names what the limit is for on the 413
    page ("An image").
    """

    def mark(view):
        setattr(view, _SETTING, setting)
        setattr(view, _LABEL, label)
        return view

    return mark


def _positive(value) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value > 0


URLENCODED = "application/x-www-form-urlencoded"


def body_limit(app: Flask, endpoint: str | None, mimetype: str = "") -> int:
    """The most bytes a request to `endpoint` may send (the site limit unless its view says otherwise).

    A view's larger limit is for files, so a URL-encoded form (which can't carry any) keeps
    the site limit: an oversized text is refused at the door there as anywhere else."""
    view = app.view_functions.get(endpoint) if endpoint else None
    setting = getattr(view, _SETTING, None)
    if setting and mimetype != URLENCODED and _positive(app.config.get(setting)):
        return app.config[setting]
    return app.config["MAX_CONTENT_LENGTH"]


class _ServerInput:
    """The server's body stream, with its framing errors turned into a 400 (malformed body).

    OSError and ValueError pass through: Werkzeug already reads those as a client
    that went away (400).
    """

    def __init__(self, raw):
        self._raw = raw

    def _guarded(self, method, *args):
        try:
            return method(*args)
        except (OSError, ValueError):
            raise
        except Exception as exc:  # noqa: BLE001 - whatever the server raises for bad framing
            raise BadRequest("The request body was malformed.") from exc

    def read(self, *args):
        return self._guarded(self._raw.read, *args)

    def readline(self, *args):
        return self._guarded(self._raw.readline, *args)

    def close(self):
        close = getattr(self._raw, "close", None)
        if close:
            close()


class _AtMost(LimitedStream):
    """A body without a length, read to at most `limit` bytes: one byte more is a 413.

    (Werkzeug's `is_max` stream returns exactly `limit` bytes and stops, so a form
    would be parsed from the first 2 MB of a larger body.)
    """

    def __init__(self, stream, limit: int):
        super().__init__(stream, limit + 1, is_max=True)
        self._most = limit

    def readinto(self, b) -> int | None:
        size = super().readinto(b)
        if self._pos > self._most:
            raise RequestEntityTooLarge()
        return size


class BodyLimitedRequest(Request):
    """Flask's request with the body limit of the view it is for (see `larger_body`)."""

    @cached_property
    def stream(self) -> IO[bytes]:
        """The body, never read past its limit; framing errors are 400s (see the module's docstring)."""
        if self.shallow:
            raise RuntimeError("This request was created with shallow=True: reading the body is disabled.")
        environ = {**self.environ, "wsgi.input": _ServerInput(self.environ["wsgi.input"])}
        limit = self.max_content_length
        if self.content_length is None and limit is not None and "wsgi.input_terminated" in environ:
            return _AtMost(environ["wsgi.input"], limit)
        return get_input_stream(environ, max_content_length=limit)

    @property
    def max_content_length(self) -> int | None:
        if self._max_content_length is not None:
            return self._max_content_length
        if not current_app:
            return super().max_content_length
        return body_limit(current_app, self.endpoint, self.mimetype)

    @max_content_length.setter
    def max_content_length(self, value: int | None) -> None:
        self._max_content_length = value


def body_too_large() -> bool:
    """True when the request declares more bytes than it may send (nothing is read)."""
    length = request.content_length
    limit = request.max_content_length
    return length is not None and limit is not None and length > limit


def refuse_oversized_body() -> None:
    """The first hook of every request: refuse a declared-too-large body before anyone reads it."""
    if body_too_large():
        raise RequestEntityTooLarge()


def larger_limits(app: Flask) -> list[tuple[str, int]]:
    """(label, bytes) for each view that takes more than the site limit."""
    found = {}
    for view in app.view_functions.values():
        setting = getattr(view, _SETTING, None)
        if setting:
            found[getattr(view, _LABEL, setting)] = app.config.get(setting)
    return sorted(found.items())


def describe_size(size: int) -> str:
    """2097152 -> '2 MB', 524288 -> '512 KB' (binary units, as people's file browsers show them)."""
    if size >= 1024 * 1024:
        return f"{size / (1024 * 1024):.1f}".removesuffix(".0") + " MB"
    return f"{max(size // 1024, 1)} KB"


def describe_limits(app: Flask) -> list[str]:
    """The limits a member can act on, in words, for the 413 page."""
    lines = [
        f"A post or reply: up to {POST_BODY_MAX:,} characters (a title up to {POST_TITLE_MAX}).",
        f"A story: up to {STORY_BODY_MAX:,} characters.",
    ]
    lines += [f"{label}: up to {describe_size(size)}." for label, size in larger_limits(app)]
    lines.append(f"Anything else sent in one go: up to {describe_size(app.config['MAX_CONTENT_LENGTH'])}.")
    return lines


def init_app(app: Flask) -> None:
    """Check the limits (refuse to start without one) and put the size check before every other hook.

    Called after the blueprints are registered, so every `larger_body` view is known.
    """
    for name in ("MAX_CONTENT_LENGTH", "MAX_FORM_MEMORY_SIZE", "MAX_FORM_PARTS"):
        if not _positive(app.config.get(name)):
            raise RuntimeError(
                f"{name} must be a positive number (got {app.config.get(name)!r}): Circle never reads "
                "a request body without a limit. BOARD_MAX_REQUEST_BYTES sets MAX_CONTENT_LENGTH."
            )
    for endpoint, view in app.view_functions.items():
        setting = getattr(view, _SETTING, None)
        if setting and not _positive(app.config.get(setting)):
            raise RuntimeError(
                f"{endpoint} takes a larger body limited by {setting}, which must be a positive number "
                f"of bytes (got {app.config.get(setting)!r})."
            )
    # First of the app's before_request hooks: the page cache, the rate limiter and CSRF come after.
    app.before_request_funcs.setdefault(None, []).insert(0, refuse_oversized_body)
