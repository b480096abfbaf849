"""Gestures of peer support: reactions on posts and stories, bookmarks, and drafts that survive."""
from flask import Blueprint

bp = Blueprint("gestures", __name__)

from board.gestures import views  # noqa: E402,F401  (routes register on the blueprint)
