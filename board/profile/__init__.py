"""The optional diagnosis profile and the "For you" page."""
from flask import Blueprint

bp = Blueprint("profile", __name__)

from board.profile import views  # noqa: F401
