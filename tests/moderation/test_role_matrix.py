"""Roles × moderation routes, built from the app's URL map: a new route without an entry fails."""
from __future__ import annotations

from sqlalchemy import select

from board.extensions import db
from board.models import CannedReason, Notification, WatchedWord
from board.moderation import lists
from tests.moderation.conftest import items

ROLES = ("anonymous", "new member", "member", "moderator", "admin")
LEVEL = {role: n for n, role in enumerate(ROLES)}

# endpoint -> the lowest role that may use it
EXPECTED = {
    "moderation.queue": "moderator",
    "moderation.next_item": "moderator",
    "moderation.bulk": "moderator",
    "moderation.item": "moderator",
    "moderation.claim": "moderator",
    "moderation.release": "moderator",
    "moderation.approve": "moderator",
    "moderation.reject": "moderator",
    "moderation.edit": "moderator",
    "moderation.dismiss": "moderator",
    "moderation.remove": "moderator",
    "moderation.undo": "moderator",
    "moderation.report_post": "new member",
    "moderation.feature_story": "moderator",
    "moderation.lock_thread": "moderator",
    "moderation.unlock_thread": "moderator",
    "moderation.pin_thread": "moderator",
    "moderation.unpin_thread": "moderator",
    "moderation.manage_thread": "moderator",
    "moderation.move_thread": "moderator",
    "moderation.rename_thread": "moderator",
    "moderation.moderate_user": "moderator",
    "moderation.log": "moderator",
    "moderation.words": "admin",
    "moderation.change_word": "admin",
    "moderation.delete_word": "admin",
    "moderation.reasons": "admin",
    "moderation.change_reason": "admin",
    "moderation.delete_reason": "admin",
    "moderation.guide": "moderator",
    "moderation.edit_guide": "admin",
    "moderation.health_dashboard": "moderator",
    "moderation.health_settings": "admin",
    "messages.outreach": "moderator",  # /moderation/items/<id>/message: "Message this member privately"
    "notifications.index": "new member",
    "notifications.mark_read": "new member",
    "notifications.open_one": "new member",
    "privacy.topics": "admin",
    "privacy.members_only": "admin",
}


def _moderation_rules(app):
    return [r for r in app.url_map.iter_rules()
            if r.endpoint.split(".")[0] in ("moderation", "notifications") or r.rule.startswith("/moderation")]


def test_every_moderation_route_has_an_entry_in_the_matrix(app):
    endpoints = {r.endpoint for r in _moderation_rules(app)}
    assert endpoints - set(EXPECTED) == set(), "add the new route to EXPECTED with its lowest role"
    assert set(EXPECTED) - endpoints == set(), "EXPECTED lists a route that no longer exists"


def test_role_matrix(app, make, browser):
    users = {
        "new member": make.user("newbie", trust_level=0),
        "member": make.user("regular"),
        "moderator": make.user("mod", role="moderator"),
        "admin": make.user("boss", role="admin"),
    }
    writer = make.user("writer")
    thread = make.thread(writer, title="A thread for the matrix", body="I want to die")
    with app.app_context():
        lists.seed_moderation()
        item_id = items()[0].id
        word_id = db.session.scalar(select(WatchedWord.id))
        reason_id = db.session.scalar(select(CannedReason.id))
        note = Notification(user_id=users["member"].id, kind="x", text="hello", url="/")
        db.session.add(note)
        db.session.commit()
        note_id = note.id
        from board.markup import render_markdown
        from board.models import Story

        story = Story(author_id=writer.id, title="Matrix story", body_source="x" * 60,
                      body_html=render_markdown("x" * 60), status="published", signature_style="first")
        db.session.add(story)
        db.session.commit()
        story_id = story.id
        from board.models import Thread

        slug = db.session.get(Thread, thread.id).topic.slug
    values = {"slug": slug, "story_id": story_id, "item_id": item_id, "thread_id": thread.id, "word_id": word_id, "reason_id": reason_id,
              "post_id": thread.first_post_id, "username": "regular", "notification_id": note_id}
    clients = {"anonymous": app.test_client(), **{role: browser(u) for role, u in users.items()}}
    failures = []
    for rule in _moderation_rules(app):
        url = rule.rule
        for arg in rule.arguments:
            url = url.replace(f"<int:{arg}>", str(values[arg])).replace(f"<{arg}>", str(values[arg]))
        lowest = LEVEL[EXPECTED[rule.endpoint]]
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            for role in ROLES:
                response = clients[role].open(url, method=method)
                code = response.status_code
                allowed = LEVEL[role] >= lowest
                if role == "anonymous":
                    ok = allowed or (code == 302 and "/auth/login" in response.headers.get("Location", ""))
                elif allowed:
                    ok = code not in (401, 403) and code < 500 and not (
                        code == 302 and "/auth/login" in response.headers.get("Location", ""))
                else:
                    ok = code == 403
                if not ok:
                    failures.append(f"{method} {url} as {role}: {code}")
    assert failures == []
