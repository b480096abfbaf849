from flask import Blueprint

bp = Blueprint("forum", __name__)

from board.forum import views  # noqa: E402,F401
