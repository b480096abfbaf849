"""Two moderators at the same moment, on two real database connections (PostgreSQL).

The SQLite path (a conditional UPDATE and a row-count check) is covered on both
engines by test_queue.py::test_sqlite_conditional_update_gives_one_winner.
"""
from __future__ import annotations

import threading
import time

import pytest
from sqlalchemy import select

from board.domain import Conflict
from board.extensions import db
from board.models import ModerationItem
from board.moderation import claims, decisions
from tests.conftest import TEST_DATABASE_URL
from tests.moderation.conftest import actions, post_of, user

pytestmark = pytest.mark.skipif(
    not TEST_DATABASE_URL.startswith("postgresql"),
    reason="needs PostgreSQL row locks (SELECT … FOR UPDATE SKIP LOCKED); set TEST_DATABASE_URL",
)


def _run(*targets):
    threads = [threading.Thread(target=t) for t in targets]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert not any(t.is_alive() for t in threads)


def test_next_item_gives_two_moderators_different_items(app, make, newbie):
    moda, modb = make.user("moda", role="moderator"), make.user("modb", role="moderator")
    make.thread(newbie, title="Pending number one")
    make.thread(newbie, title="Pending number two")
    a_claimed, b_done = threading.Event(), threading.Event()
    got, errors = {}, []

    def first():
        try:
            with app.app_context():
                got["a"] = claims.next_item(user(moda)).id
                a_claimed.set()
                b_done.wait(10)  # keep the transaction (and its row lock) open meanwhile
                db.session.commit()
        except Exception as exc:  # noqa: BLE001
            errors.append(exc)
            a_claimed.set()

    def second():
        a_claimed.wait(10)
        try:
            with app.app_context():
                item = claims.next_item(user(modb))
                got["b"] = item.id if item else None
                db.session.commit()
        except Exception as exc:  # noqa: BLE001
            errors.append(exc)
        finally:
            b_done.set()

    _run(first, second)
    assert errors == []
    assert got["a"] and got["b"] and got["a"] != got["b"]
    with app.app_context():
        claimed = {i.id: i.claimed_by_id for i in db.session.scalars(select(ModerationItem))}
        assert claimed == {got["a"]: moda.id, got["b"]: modb.id}


def test_two_moderators_approving_at_once_only_one_acts(app, make, newbie):
    moda, modb = make.user("moda", role="moderator"), make.user("modb", role="moderator")
    thread = make.thread(newbie, title="Both click approve")
    with app.app_context():
        item_id = db.session.scalar(select(ModerationItem.id))
    a_acted = threading.Event()
    outcome, errors = {}, []

    def first():
        try:
            with app.app_context():
                decisions.approve(db.session.get(ModerationItem, item_id), user(moda))
                a_acted.set()
                time.sleep(0.7)  # B is now waiting on our row lock
                db.session.commit()
                outcome["a"] = "approved"
        except Exception as exc:  # noqa: BLE001
            errors.append(exc)
            a_acted.set()

    def second():
        a_acted.wait(10)
        try:
            with app.app_context():
                item = db.session.get(ModerationItem, item_id)
                assert item.state == "open"  # A has not committed yet
                try:
                    decisions.approve(item, user(modb))
                    db.session.commit()
                    outcome["b"] = "approved"
                except Conflict as exc:
                    db.session.rollback()
                    outcome["b"] = exc.message
        except Exception as exc:  # noqa: BLE001
            errors.append(exc)

    _run(first, second)
    assert errors == []
    assert outcome["a"] == "approved"
    assert "already handled by moda" in outcome["b"]
    with app.app_context():
        assert len(actions("approve")) == 1
        assert post_of(thread).status == "published"
        assert user(newbie).approved_post_count == 1
