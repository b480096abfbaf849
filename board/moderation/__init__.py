from flask import Blueprint

bp = Blueprint("moderation", __name__)

from board.moderation import guide, views  # noqa: E402,F401
