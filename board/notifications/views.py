"""The in-app notification list. Reading never changes anything; marking read is a POST."""
from __future__ import annotations

from flask import abort, redirect, render_template, request, url_for
from flask_login import current_user, login_required

from board.extensions import db
from board.ids import parse_id
from board.models import Notification
from board.notifications import bp, services


def _safe_local(url: str) -> str | None:
    if url and url.startswith("/") and not url.startswith("//") and "\\" not in url:
        return url
    return None


@bp.get("/notifications")
@login_required
def index():
    before = request.args.get("before", "")
    before_id = parse_id(before) if before else None
    if before and before_id is None:
        abort(404)
    items = services.recent(current_user, before_id=before_id)
    next_before = items[-1].id if len(items) == services.PAGE_SIZE else None
    return render_template("notifications/index.html", notifications=items, next_before=next_before, noindex=True)


@bp.post("/notifications/read")
@login_required
def mark_read():
    services.mark_all_read(current_user)
    db.session.commit()
    return redirect(url_for(".index"))


@bp.post("/notifications/<int:notification_id>/open")
@login_required
def open_one(notification_id: int):
    note = db.get_or_404(Notification, notification_id)
    if note.user_id != current_user.id:
        abort(404)
    services.mark_read(current_user, note)
    db.session.commit()
    return redirect(_safe_local(note.url) or url_for(".index"))
