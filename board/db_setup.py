"""Engine-level settings: SQLite gets foreign keys, WAL and a busy timeout; sessions close quietly."""
from __future__ import annotations

import logging

from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlalchemy.exc import SQLAlchemyError

log = logging.getLogger(__name__)


def close_session_quietly(scoped) -> None:
    """End the request's session without letting a lost connection turn into a 500.

    Closing a session rolls back its transaction, a round trip to the database. If
    the database went away after the response was made (say, just after a reply was
    committed), that ROLLBACK raised from the request teardown and the member got a
    500 for a reply that was in fact saved (seen once in `make load --outage-proxy`).
    Now the session is invalidated instead: its connections are discarded, not reused,
    and the response the view made stands.
    """
    if not scoped.registry.has():
        return
    session = scoped.registry()
    try:
        session.close()
    except SQLAlchemyError:
        log.warning("database connection lost while closing the session; connection discarded")
        try:
            session.invalidate()
        except SQLAlchemyError:  # pragma: no cover - nothing more to do for a dead connection
            pass
    finally:
        scoped.remove()


def configure_engine(engine: Engine) -> None:
    if engine.dialect.name != "sqlite":
        return
    if getattr(engine, "_circle_configured", False):
        return
    engine._circle_configured = True

    @event.listens_for(engine, "connect")
    def _sqlite_pragmas(dbapi_conn, _record):  # pragma: no cover - trivial
        cursor = dbapi_conn.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=5000")
        if engine.url.database not in (None, "", ":memory:"):
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()

    engine.dispose()  # connections made before the listener existed get the pragmas too


def is_postgres(engine_or_session) -> bool:
    bind = getattr(engine_or_session, "bind", None) or engine_or_session
    return bind.dialect.name == "postgresql"


def render_item(type_, obj, autogen_context):
    """Alembic: write our UTCDateTime as a plain timezone-aware DateTime in migrations."""
    from board.models.base import UTCDateTime

    if type_ == "type" and isinstance(obj, UTCDateTime):
        return "sa.DateTime(timezone=True)"
    return False
