from flask import Blueprint

bp = Blueprint("moderation", __name__)

from board.moderation import guide, health_views, views  # noqa: E402,F401
