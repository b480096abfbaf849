"""Private messages between members, and from the moderators to a member (issue 15)."""
from flask import Blueprint

bp = Blueprint("messages", __name__)


@bp.record_once
def _register_moderated_kind(state) -> None:
    from board.messages.moderation import MessageKind
    from board.moderation.kinds import register_kind

    register_kind("message", MessageKind(), app=state.app)


@bp.app_template_global("has_blocked")
def _has_blocked(user) -> bool:
    """For the profile page's Block button."""
    from flask_login import current_user

    from board.messages.services import has_blocked

    return has_blocked(current_user, user)


@bp.app_template_global("messages_before_for_moderators")
def _messages_before(target, limit: int = 2):
    """For messages/_moderation_card.html: at most two delivered messages before `target`, so the
    card renders from `target` alone (as the queue's generic card templates are given)."""
    from board.messages.services import previous_messages

    return previous_messages(target, limit)


from board.messages import views  # noqa: E402,F401  (registers the routes)
