from flask import Blueprint

bp = Blueprint("stories", __name__)

from board.stories import views  # noqa: E402,F401
