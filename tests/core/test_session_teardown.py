"""A database connection lost after the response is made must not turn the response into a 500.

Found by `make load LOAD_ARGS=--outage-proxy`: a reply was committed, the database
went away, and the ROLLBACK that closes the request's session raised from Flask's
teardown, so the member saw a 500 for a reply that was saved.
"""
from __future__ import annotations

import pytest
from sqlalchemy import text
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session

from board.extensions import db
from tests.conftest import TEST_DATABASE_URL


def test_a_failing_rollback_at_teardown_keeps_the_response(app, client, monkeypatch):
    real_close = Session.close
    failures = []

    def close_fails_once(self):
        if not failures:
            failures.append(1)
            raise OperationalError("ROLLBACK", {}, Exception("server closed the connection unexpectedly"))
        return real_close(self)

    monkeypatch.setattr(Session, "close", close_fails_once)
    response = client.get("/")  # the home page reads topics: a session with a transaction
    assert failures, "the teardown closed the session"
    assert response.status_code == 200
    assert b"Discussions" in response.data
    monkeypatch.setattr(Session, "close", real_close)
    assert client.get("/").status_code == 200  # and the next request is served normally


@pytest.mark.skipif(not TEST_DATABASE_URL, reason="needs PostgreSQL to end a server connection")
def test_a_connection_ended_by_the_server_mid_request_is_discarded(app, client):
    with app.test_request_context("/"):
        pid = db.session.execute(text("SELECT pg_backend_pid()")).scalar_one()
        with db.engine.connect() as other:
            other.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})
            other.commit()
        # Leaving the context closes the session: ROLLBACK on a dead connection must not raise.
    response = client.get("/")
    assert response.status_code == 200
