from flask import Blueprint

bp = Blueprint("stories", __name__)

from board.stories import moderated, views  # noqa: E402,F401  (routes; the moderated kind)
