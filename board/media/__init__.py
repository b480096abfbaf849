"""Pictures: upload pipeline, storage (filesystem or database), serving, review, profile pictures."""
from flask import Blueprint

bp = Blueprint("media", __name__)

from board.media import cli, moderated, views  # noqa: E402,F401  (routes, commands, the moderated kind)
