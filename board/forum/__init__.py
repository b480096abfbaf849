from flask import Blueprint

bp = Blueprint("forum", __name__)

from board.forum import moderated, views  # noqa: E402,F401  (routes; the moderated kind)
