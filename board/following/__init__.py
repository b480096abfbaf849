"""Following threads and topics, notification settings, digests, unsubscribe links, muting."""
from flask import Blueprint

bp = Blueprint("following", __name__)

from board.following import views  # noqa: E402,F401
