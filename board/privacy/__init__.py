"""Members' data: export, account deletion, memorial accounts, members-only topics."""
from flask import Blueprint

bp = Blueprint("privacy", __name__)

from board.privacy import views  # noqa: F401
