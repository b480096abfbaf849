"""Circle configuration.

`BOARD_ENV` picks a class (development by default). Every class reads its
settings from environment variables; after the class, `create_app` also
applies `app.config.from_prefixed_env()` so any Flask or extension setting can
be given as `FLASK_<NAME>`.
"""
from __future__ import annotations

import json
import os
from datetime import timedelta
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent
INSTANCE_DIR = BASE_DIR / "instance"

DEFAULT_CRISIS_TEXT = (
    "If you are thinking about ending your life or hurting yourself, please reach out now. "
    "Someone will listen, any time of day or night:"
)

# Where to get help, by country (ISO 3166 codes). `BOARD_CRISIS_RESOURCES` replaces this
# list with JSON of the same shape; an entry with no countries is shown to everyone
# ("anywhere else"). See board/moderation/care.py.
DEFAULT_CRISIS_RESOURCES = [
    {"countries": ["US"], "name": "United States",
     "text": "Call or text 988 (Suicide & Crisis Lifeline), any time."},
    {"countries": ["GB", "IE"], "name": "United Kingdom and Ireland",
     "text": "Call Samaritans free on 116 123, any time."},
    {"countries": ["CA"], "name": "Canada", "text": "Call or text 9-8-8, any time."},
    {"countries": ["AU"], "name": "Australia", "text": "Call Lifeline on 13 11 14, any time."},
    {"countries": [], "name": "Anywhere else", "text": "Call your local emergency number."},
]


def _bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def _int(name: str, default: int) -> int:
    try:
        return int(os.environ.get(name, default))
    except ValueError:
        return default


def _json_list(name: str, default: list) -> list:
    """A JSON list from the environment; refuse to start on a malformed one rather than show no help."""
    raw = os.environ.get(name, "").strip()
    if not raw:
        return default
    try:
        value = json.loads(raw)
    except ValueError as exc:
        raise RuntimeError(f"{name} is not valid JSON: {exc}") from None
    if not isinstance(value, list):
        raise RuntimeError(f"{name} must be a JSON list")
    return value


def normalize_database_url(url: str) -> str:
    """Accept the common spellings of a PostgreSQL URL and use psycopg 3."""
    if url.startswith("postgres://"):
        url = "postgresql://" + url[len("postgres://"):]
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url[len("postgresql://"):]
    return url


class Config:
    SECRET_KEY = os.environ.get("SECRET_KEY")
    SQLALCHEMY_DATABASE_URI = normalize_database_url(
        os.environ.get("DATABASE_URL", f"sqlite:///{INSTANCE_DIR / 'board.sqlite'}")
    )
    SQLALCHEMY_ENGINE_OPTIONS = {"pool_pre_ping": True}
    SQLALCHEMY_RECORD_QUERIES = False

    # Sessions and cookies
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    SESSION_COOKIE_SECURE = False
    REMEMBER_COOKIE_HTTPONLY = True
    REMEMBER_COOKIE_SAMESITE = "Lax"
    REMEMBER_COOKIE_SECURE = False
    REMEMBER_COOKIE_DURATION = timedelta(days=30)
    PERMANENT_SESSION_LIFETIME = timedelta(days=14)
    WTF_CSRF_TIME_LIMIT = None  # token lives as long as the session

    # Request size (board/limits.py): refused with 413 before the body is read. Views that take more
    # (image uploads) name their own, larger setting with @larger_body; never unlimited.
    MAX_CONTENT_LENGTH = _int("BOARD_MAX_REQUEST_BYTES", 2 * 1024 * 1024)
    # One text part of a multipart body: a 20,000-character post is at most 80 KB of UTF-8.
    MAX_FORM_MEMORY_SIZE = 200_000
    # Parts in a multipart body (Circle's forms have a few dozen fields at most).
    MAX_FORM_PARTS = 200

    # Rate limits (Flask-Limiter)
    REDIS_URL = os.environ.get("REDIS_URL", "")
    RATELIMIT_STORAGE_URI = os.environ.get("REDIS_URL") or "memory://"
    RATELIMIT_STRATEGY = "moving-window"
    RATELIMIT_ENABLED = True
    RATELIMIT_HEADERS_ENABLED = False
    RATELIMIT_IN_MEMORY_FALLBACK_ENABLED = True  # Redis down: count per process rather than fail

    # Mail
    MAIL_SERVER = os.environ.get("MAIL_SERVER", "")
    MAIL_PORT = _int("MAIL_PORT", 25)
    MAIL_USERNAME = os.environ.get("MAIL_USERNAME", "")
    MAIL_PASSWORD = os.environ.get("MAIL_PASSWORD", "")
    MAIL_USE_TLS = _bool("MAIL_USE_TLS", False)
    MAIL_DEFAULT_SENDER = os.environ.get("MAIL_DEFAULT_SENDER", "Circle <no-reply@circle.invalid>")
    MAIL_SEND_INLINE = False
    MAIL_MAX_ATTEMPTS = _int("MAIL_MAX_ATTEMPTS", 8)

    # Site settings
    BOARD_SITE_NAME = "Circle"
    BOARD_BASE_URL = os.environ.get("BOARD_BASE_URL", "http://127.0.0.1:5000")
    BOARD_CONTACT_EMAIL = os.environ.get("BOARD_CONTACT_EMAIL", "")  # where members report problems
    BOARD_TRUSTED_PROXIES = _int("BOARD_TRUSTED_PROXIES", 0)  # proxies in front (ProxyFix) for per-IP limits
    BOARD_CRISIS_TEXT = os.environ.get("BOARD_CRISIS_TEXT", DEFAULT_CRISIS_TEXT)
    BOARD_CRISIS_RESOURCES = _json_list("BOARD_CRISIS_RESOURCES", DEFAULT_CRISIS_RESOURCES)
    BOARD_TRUST_POSTS = _int("BOARD_TRUST_POSTS", 3)
    BOARD_TRUST_DAYS = _int("BOARD_TRUST_DAYS", 2)
    BOARD_TRUST2_POSTS = _int("BOARD_TRUST2_POSTS", 20)  # level 2 "established" (links in messages)
    BOARD_TRUST2_DAYS = _int("BOARD_TRUST2_DAYS", 30)
    BOARD_MESSAGES_NEW_PER_DAY = _int("BOARD_MESSAGES_NEW_PER_DAY", 10)  # new conversations a member may start
    BOARD_REPORT_HIDE_WEIGHT = float(os.environ.get("BOARD_REPORT_HIDE_WEIGHT", "3"))
    BOARD_NEW_MEMBER_MAX_LINKS = _int("BOARD_NEW_MEMBER_MAX_LINKS", 2)
    BOARD_THREADS_PER_PAGE = 30
    BOARD_POSTS_PER_PAGE = 25
    BOARD_STORIES_PER_PAGE = 20
    # Finished public pages for visitors who aren't logged in (board/page_cache.py): on in production
    # Pictures (board/media; README "Pictures"). MEDIA_STORAGE: "filesystem" (files under MEDIA_DIR,
    # instance/media by default) or "database" (bytes in the media_blobs table, shared by every machine).
    MEDIA_STORAGE = os.environ.get("MEDIA_STORAGE", "filesystem").strip().lower() or "filesystem"
    MEDIA_DIR = os.environ.get("MEDIA_DIR", "")  # empty: <instance>/media
    BOARD_IMAGE_MAX_BYTES = _int("BOARD_IMAGE_MAX_BYTES", 10 * 1024 * 1024)  # one image as sent
    BOARD_IMAGE_MAX_PIXELS = _int("BOARD_IMAGE_MAX_PIXELS", 50_000_000)  # width x height, before resizing
    BOARD_IMAGES_PER_POST = _int("BOARD_IMAGES_PER_POST", 4)
    BOARD_IMAGE_MAX_SIDE = _int("BOARD_IMAGE_MAX_SIDE", 2048)  # long side of the stored picture
    BOARD_IMAGE_UPLOADS_PER_HOUR = _int("BOARD_IMAGE_UPLOADS_PER_HOUR", 60)  # form posts carrying pictures
    # A form with pictures: 4 x 10 MB + 1 MB of text and multipart overhead.
    BOARD_MAX_IMAGE_REQUEST_BYTES = _int("BOARD_MAX_IMAGE_REQUEST_BYTES", 4 * 10 * 1024 * 1024 + 1024 * 1024)

    BOARD_PAGE_CACHE = _bool("BOARD_PAGE_CACHE", False)
    BOARD_PAGE_CACHE_SECONDS = _int("BOARD_PAGE_CACHE_SECONDS", 60)
    BOARD_PAGE_CACHE_ENTRIES = _int("BOARD_PAGE_CACHE_ENTRIES", 500)
    # The shared part of thread pages (board/forum/shared_parts.py): on everywhere, tests included
    BOARD_SHARED_CACHE = _bool("BOARD_SHARED_CACHE", True)
    BOARD_SHARED_CACHE_SECONDS = _int("BOARD_SHARED_CACHE_SECONDS", 30)
    BOARD_SHARED_CACHE_ENTRIES = _int("BOARD_SHARED_CACHE_ENTRIES", 1000)  # posts, lists and page shells
    # Check every member page built from its shell (board/page_shell.py) against a full render
    BOARD_SHELL_VERIFY = _bool("BOARD_SHELL_VERIFY", False)


class DevelopmentConfig(Config):
    ENV_NAME = "development"
    SECRET_KEY = os.environ.get("SECRET_KEY", "dev-only-secret-change-me")
    MAIL_SEND_INLINE = True


class TestingConfig(Config):
    ENV_NAME = "testing"
    TESTING = True
    BOARD_SHELL_VERIFY = True
    SECRET_KEY = "testing-secret"
    SQLALCHEMY_DATABASE_URI = "sqlite://"
    RATELIMIT_STORAGE_URI = "memory://"
    BOARD_BASE_URL = "http://localhost"


class ProductionConfig(Config):
    ENV_NAME = "production"
    SESSION_COOKIE_SECURE = True
    REMEMBER_COOKIE_SECURE = True
    PREFERRED_URL_SCHEME = "https"
    BOARD_PAGE_CACHE = _bool("BOARD_PAGE_CACHE", True)


CONFIGS = {
    "development": DevelopmentConfig,
    "testing": TestingConfig,
    "production": ProductionConfig,
}


def config_from_env() -> type[Config]:
    name = os.environ.get("BOARD_ENV", "development").strip().lower()
    if name not in CONFIGS:
        raise RuntimeError(f"BOARD_ENV must be one of {', '.join(CONFIGS)}; got {name!r}")
    return CONFIGS[name]
