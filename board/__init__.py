"""Circle: a peer-support discussion board for people living with metastatic breast cancer."""
from __future__ import annotations

import logging
import os
from collections.abc import Mapping
from pathlib import Path
from types import FunctionType

from flask import Flask
from flask.globals import _cv_request

from board.ids import IdConverter
from board.limits import BodyLimitedRequest

ROOT = Path(__file__).resolve().parent.parent


class CircleFlask(Flask):
    """Flask with memoized URL building inside requests (and the request class of board/limits.py).

    A page builds 20–40 URLs (navigation, breadcrumbs, forms), each about 13 µs
    through werkzeug's URL map. Given the endpoint, its arguments and the
    request's script root, host, scheme and blueprint, the result never changes
    (Circle registers no url_defaults), so it is remembered per process. Outside
    a request, or with arguments that can't be a dictionary key, it builds as usual.
    """

    _url_memo: dict
    _sync_seen: set
    _URL_MEMO_MAX = 20_000
    request_class = BodyLimitedRequest  # the body limit of the view a request is for (board/limits.py)

    def ensure_sync(self, func):
        """Flask asks this of every hook and view on every request (about 18 times a page), and
        inspect.iscoroutinefunction is not free: remember the plain functions found synchronous."""
        seen = self._sync_seen
        if type(func) is FunctionType and func in seen:
            return func
        result = super().ensure_sync(func)
        if result is func and type(func) is FunctionType:
            if len(seen) >= 2_000:  # per-request closures (after_this_request) would pile up
                seen.clear()
            seen.add(func)
        return result

    def url_for(self, /, endpoint: str, *, _anchor=None, _method=None, _scheme=None, _external=None,
                **values) -> str:
        ctx = _cv_request.get(None)  # the request context itself: no LocalProxy lookups
        if ctx is None or self.url_default_functions:
            return super().url_for(endpoint, _anchor=_anchor, _method=_method, _scheme=_scheme,
                                   _external=_external, **values)
        req = ctx.request
        # What the URL depends on besides the arguments, read once per request (werkzeug works
        # out request.host from the headers on every access).
        base = req.__dict__.get("_circle_url_base")
        if base is None:
            base = req.__dict__["_circle_url_base"] = (req.script_root, req.host, req.scheme)
        try:
            key = (endpoint, req.blueprint if endpoint[:1] == "." else None, base, _anchor, _method,
                   _scheme, _external,
                   tuple(values.items()) if len(values) < 2 else tuple(sorted(values.items())))
            url = self._url_memo.get(key)
        except TypeError:  # e.g. a list of values: build it every time
            return super().url_for(endpoint, _anchor=_anchor, _method=_method, _scheme=_scheme,
                                   _external=_external, **values)
        if url is None:
            url = super().url_for(endpoint, _anchor=_anchor, _method=_method, _scheme=_scheme,
                                  _external=_external, **values)
            memo = self._url_memo
            if len(memo) >= self._URL_MEMO_MAX:
                memo.clear()
            memo[key] = url
        return url


def create_app(config: type | Mapping | None = None) -> Flask:
    """Build the application.

    `config` may be a config class (used instead of the one `BOARD_ENV` picks) or
    a mapping applied on top of it (handy in tests).
    """
    from config import config_from_env

    app = CircleFlask(
        __name__,
        template_folder=str(ROOT / "templates"),
        static_folder=str(ROOT / "static"),
        instance_path=str(ROOT / "instance"),
    )
    if isinstance(config, type):
        app.config.from_object(config)
    else:
        app.config.from_object(config_from_env())
        if config:
            app.config.from_mapping(config)
    app._url_memo = {}  # per app: tests build many apps in one process
    app._sync_seen = set()
    app.url_map.converters["int"] = IdConverter  # before any route is added
    app.config.from_prefixed_env()
    if isinstance(config, Mapping) and config:
        app.config.from_mapping(config)  # explicit test overrides win
    check_config(app)

    register_extensions(app)
    __import__("board.page_cache", fromlist=["init_app"]).init_app(app)  # before other after_request hooks
    register_shared_parts(app)  # its before_request reads the generation before any query
    __import__("board.security", fromlist=["register"]).register(app)  # headers, limits, inline mail
    register_blueprints(app)
    register_request_limits(app)
    register_errorhandlers(app)
    register_template_helpers(app)
    register_commands(app)
    return app


def check_config(app: Flask) -> None:
    env = app.config.get("ENV_NAME", "development")
    if env == "production":
        if not app.config.get("SECRET_KEY"):
            raise RuntimeError(
                "SECRET_KEY is not set. Circle refuses to start in production without a "
                "secret key: set the SECRET_KEY environment variable to a long random value."
            )
        if not app.config.get("RATELIMIT_ENABLED", True):
            app.logger.warning("RATE LIMITS ARE OFF (RATELIMIT_ENABLED=false): never do this on a public site.")
        workers = int(os.environ.get("WEB_CONCURRENCY", os.environ.get("GUNICORN_WORKERS", "1")) or 1)
        if workers > 1 and str(app.config.get("RATELIMIT_STORAGE_URI", "")).startswith("memory://"):
            raise RuntimeError(
                "More than one worker needs shared rate-limit storage: set REDIS_URL "
                "(memory:// counts per process)."
            )
    if not app.config.get("SECRET_KEY"):
        raise RuntimeError("SECRET_KEY is not set.")
    uri = app.config["SQLALCHEMY_DATABASE_URI"]
    if uri.startswith("sqlite:///") and not uri.startswith("sqlite:////:memory:"):
        Path(app.instance_path).mkdir(parents=True, exist_ok=True)
    if env != "testing":
        logging.basicConfig(level=logging.INFO)
        logging.getLogger("alembic.runtime.plugins").setLevel(logging.WARNING)


def register_extensions(app: Flask) -> None:
    from board import models  # noqa: F401  (registers the models on the metadata)
    from board.extensions import csrf, db, limiter, login_manager, migrate
    from board.db_setup import close_session_quietly, configure_engine, render_item

    db.init_app(app)
    migrate.init_app(
        app, db, directory=str(ROOT / "migrations"), render_as_batch=True,
        compare_type=False, render_item=render_item,
    )
    login_manager.init_app(app)
    csrf.init_app(app)
    limiter.init_app(app)
    with app.app_context():
        configure_engine(db.engine)
    # Runs before Flask-SQLAlchemy's own teardown (they run in reverse order), which then finds nothing to close.
    app.teardown_appcontext(lambda _exc: close_session_quietly(db.session))

    from board.auth.loader import load_user  # noqa: F401  (registers the user loader)


def register_shared_parts(app: Flask) -> None:
    from board.forum import shared_parts

    shared_parts.init_app(app)


def register_blueprints(app: Flask) -> None:
    from board.auth import bp as auth_bp
    from board.display import bp as display_bp
    from board.following import bp as following_bp
    from board.forum import bp as forum_bp
    from board.gestures import bp as gestures_bp
    from board.health import bp as health_bp
    from board.media import bp as media_bp
    from board.messages import bp as messages_bp
    from board.moderation import bp as moderation_bp
    from board.notifications import bp as notifications_bp
    from board.page_views import bp as pages_bp
    from board.welcome import bp as welcome_bp
    from board.privacy import bp as privacy_bp
    from board.profile import bp as profile_bp
    from board.search_views import bp as search_bp
    from board.stories import bp as stories_bp

    for bp in (auth_bp, forum_bp, health_bp, moderation_bp, notifications_bp, stories_bp, search_bp, display_bp, following_bp,
               profile_bp, privacy_bp, pages_bp, welcome_bp, gestures_bp, messages_bp, media_bp):
        app.register_blueprint(bp)
    if app.config.get("ENV_NAME") == "development":
        from board.dev_mail import bp as dev_mail_bp  # /dev/mail: never registered outside development

        app.register_blueprint(dev_mail_bp)


def register_request_limits(app: Flask) -> None:
    from board import limits

    limits.init_app(app)


def register_errorhandlers(app: Flask) -> None:
    from board.errors import register

    register(app)


def register_template_helpers(app: Flask) -> None:
    from board.templating import register

    register(app)


def register_commands(app: Flask) -> None:
    from board.cli import register

    register(app)
