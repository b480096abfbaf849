from flask import Blueprint

from board.models import utcnow
from board.moderation.care import show_crisis_notice
from board.moderation.kinds import content_of

bp = Blueprint("moderation", __name__)


@bp.record_once
def _register_hooks(state):
    # After a post is committed, its author sees the crisis notice when needed.
    state.app.extensions["circle.after_post"] = show_crisis_notice


@bp.context_processor
def _moderation_context():
    return {"now_utc": utcnow(), "item_content": content_of}


# The pages, by subject, on this one blueprint.
from board.moderation import guide, health_views, list_views, member_views, queue_views, thread_views  # noqa: E402,F401
