"""The community-health figures against a small board built by hand, whose answers are
worked out below (nearest-rank percentiles: the value at rank ceil(p·n)). Runs on SQLite
and, with TEST_DATABASE_URL, on PostgreSQL."""
from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from board.extensions import db
from board.models import ModerationItem, Notification, Post, Report, Story, Thread, User, Welcomer, utcnow
from board.moderation import health
from tests.conftest import login

H = 3600


@pytest.fixture
def board(app, make):
    """The hand-built board. `now` is the moment the figures are taken."""
    users = {name: make.user(name) for name in ("alice", "bob", "newbie1", "newbie2", "carol")}
    plan = {}

    def thread(key, author, age, replies=()):
        plan[key] = (make.thread(users[author], title=f"Thread {key} here"), age, replies)

    thread("T0", "alice", timedelta(days=40))
    thread("T0b", "bob", timedelta(days=50))
    thread("T1", "alice", timedelta(days=3), [("bob", 1 * H)])
    thread("T2", "alice", timedelta(days=10), [("bob", 5 * H)])
    thread("T3", "newbie1", timedelta(days=2), [("newbie1", 600), ("bob", 3 * H)])  # her own reply doesn't count
    thread("T4", "newbie2", timedelta(days=20), [("bob", 1800)])
    thread("T5", "newbie1", timedelta(hours=30))  # her second thread, unanswered
    thread("T6", "carol", timedelta(hours=13))  # a newcomer's first thread, unanswered past 12 hours
    thread("T7", "bob", timedelta(hours=2))  # unanswered, but only 2 hours old
    thread("T8", "alice", timedelta(days=5))  # unanswered for 5 days
    replies = {}
    for key, (t, _age, rs) in plan.items():
        replies[key] = [make.reply(users[who], t, f"Reply to {key}") for who, _ in rs]

    now = utcnow()
    with app.app_context():
        for name, days in (("alice", 100), ("bob", 100), ("newbie1", 5), ("newbie2", 25), ("carol", 1)):
            db.session.get(User, users[name].id).created_at = now - timedelta(days=days)
        for key, (t, age, rs) in plan.items():
            written = now - age
            row = db.session.get(Thread, t.id)
            row.created_at = written
            db.session.get(Post, t.first_post_id).created_at = written
            for (who, delay), reply in zip(rs, replies[key]):
                db.session.get(Post, reply.id).created_at = written + timedelta(seconds=delay)
        target = plan["T1"][0].first_post_id

        def item(kind, age, claim=None, decide=None, state="resolved"):
            created = now - age
            row = ModerationItem(kind=kind, content_kind="post", target_id=target, created_at=created, state=state,
                                 first_claimed_at=created + timedelta(seconds=claim) if claim else None,
                                 resolved_at=created + timedelta(seconds=decide) if decide else None)
            db.session.add(row)
            db.session.flush()
            return row

        i1 = item("report", timedelta(days=2), 1200, 2 * H)
        i2 = item("pending_post", timedelta(days=10), 1 * H, 3 * H, state="dismissed")
        item("crisis", timedelta(days=1), 300, 900)
        item("crisis", timedelta(hours=3), state="open")
        item("pending_post", timedelta(days=20), state="open")
        item("report", timedelta(days=40), 60, 120)  # outside both windows
        for item_row, reporter, reason, age in ((i1, "alice", "spam", 2), (i1, "carol", "unkind", 2),
                                                (i2, "bob", "spam", 10), (i2, "alice", "spam", 45)):
            db.session.add(Report(item_id=item_row.id, reporter_id=users[reporter].id, reason=reason,
                                  created_at=now - timedelta(days=age)))
        for days, status in ((3, "published"), (15, "published"), (45, "published"), (2, "pending")):
            db.session.add(Story(author_id=users["alice"].id, title="A story", body_source="x", body_html="<p>x</p>",
                                 status=status, published_at=now - timedelta(days=days)))
        db.session.commit()
    return {"now": now, "threads": {k: v[0] for k, v in plan.items()}, "users": users}


def test_figures_match_the_hand_worked_answers(app, board, count_queries):
    with count_queries() as queries, app.app_context():
        h = health.compute(now=board["now"], nudge_hours=12)
        unanswered = [t.title for t in h.unanswered]
        waiting = [t.title for t in h.newcomers_waiting]
    assert len(queries) == 8  # whatever the size of the board
    week, month = h.windows[7], h.windows[30]

    # time to first reply (30 days: 1800, 3600, 10800, 18000 s; 7 days: 3600, 10800 s)
    assert (month.threads, month.answered) == (8, 4)
    assert (month.first_reply.n, month.first_reply.median, month.first_reply.p90) == (4, 3600, 18000)
    assert (week.threads, week.answered) == (6, 2)
    assert (week.first_reply.median, week.first_reply.p90) == (3600, 10800)
    # newcomers' first threads (T3 after 3 h, T4 after 30 min, T6 unanswered)
    assert (month.newcomer_threads, month.newcomer_answered) == (3, 2)
    assert (month.newcomer_first_reply.median, month.newcomer_first_reply.p90) == (1800, 10800)
    assert (week.newcomer_threads, week.newcomer_answered) == (2, 1)
    assert (week.newcomer_first_reply.median, week.newcomer_first_reply.p90) == (10800, 10800)

    # still unanswered after 24 hours, oldest first; newcomers waiting past 12 hours
    assert unanswered == ["Thread T8 here", "Thread T5 here"] and h.unanswered_total == 2
    assert waiting == ["Thread T6 here"]

    # the queue now, and how fast it moved
    assert (h.queue_waiting, h.crisis_waiting) == (2, 1)
    assert abs((board["now"] - h.queue_oldest) - timedelta(days=20)) < timedelta(seconds=1)
    assert abs((board["now"] - h.crisis_oldest) - timedelta(hours=3)) < timedelta(seconds=1)
    assert (month.to_claim.median, month.to_decision.median) == (1200, 7200)
    assert (week.to_claim.median, week.to_decision.median) == (300, 900)
    assert (month.crisis_to_claim.median, month.crisis_to_decision.median) == (300, 900)

    # reports by reason; members; stories
    assert week.reports == {"spam": 1, "unkind": 1} and month.reports == {"spam": 2, "unkind": 1}
    assert (week.new_members, month.new_members) == (2, 3)
    assert (week.members_posted, month.members_posted) == (4, 5)
    assert (week.stories_published, month.stories_published) == (1, 2)


def test_dashboard_page_for_moderators_only(app, client, make, board):
    app.config["BOARD_HEALTH_CACHE_SECONDS"] = 0
    login(client, make.user("mod", role="moderator"))
    page = client.get("/moderation/health")
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    assert text.index("Thread T6 here") < text.index("Thread T8 here")  # newcomers first
    assert "median 1 h, 90% within 5 h" in text
    assert "nudge" not in text.lower() or "The newcomer nudge (admins)" not in text  # the setting is for admins
    member = app.test_client()
    login(member, make.user("someone"))
    assert member.get("/moderation/health").status_code == 403


def test_claiming_an_item_keeps_the_first_claim_time(app, client, make, board):
    mod = make.user("mod", role="moderator")
    login(client, mod)
    with app.app_context():
        item_id = db.session.scalar(select(ModerationItem.id).where(
            ModerationItem.kind == "crisis", ModerationItem.state == "open"))
    assert client.post(f"/moderation/items/{item_id}/claim").status_code in (302, 303)
    with app.app_context():
        first = db.session.get(ModerationItem, item_id).first_claimed_at
        assert first is not None
    client.post(f"/moderation/items/{item_id}/release")
    client.post(f"/moderation/items/{item_id}/claim")
    with app.app_context():
        assert db.session.get(ModerationItem, item_id).first_claimed_at == first


def test_welcomers_hear_once_about_a_waiting_newcomer_when_admins_turn_it_on(app, client, make, board, runner):
    helper = make.user("helper")
    with app.app_context():
        db.session.add(Welcomer(user_id=helper.id))
        db.session.commit()
    assert "nudge is off" in runner.invoke(args=["moderation", "nudge-newcomers"]).output
    login(client, make.user("boss", role="admin"))
    r = client.post("/moderation/health/settings", data={"nudge_hours": "12", "announce_to_welcomers": "y"})
    assert r.status_code == 302
    assert "announced to welcomers: 1" in runner.invoke(args=["moderation", "nudge-newcomers"]).output
    assert "announced to welcomers: 0" in runner.invoke(args=["moderation", "nudge-newcomers"]).output
    with app.app_context():
        notes = list(db.session.scalars(select(Notification).where(Notification.kind == "newcomer_waiting")))
    assert [n.user_id for n in notes] == [helper.id]
    assert "Thread T6" not in notes[0].text and f"/threads/{board['threads']['T6'].id}" in notes[0].url


def test_members_opt_in_as_welcomers_on_their_notification_settings(app, client, make):
    user = make.user("helper")
    login(client, user)
    page = client.get("/settings/notifications").get_data(as_text=True)
    assert 'id="welcomer"' in page and 'for="welcomer"' in page
    assert client.post("/settings/notifications/welcomer", data={"welcomer": "y"}).status_code == 302
    with app.app_context():
        assert db.session.get(Welcomer, user.id) is not None
    client.post("/settings/notifications/welcomer", data={})
    with app.app_context():
        assert db.session.get(Welcomer, user.id) is None
