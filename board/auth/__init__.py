from flask import Blueprint

bp = Blueprint("auth", __name__)

from board.auth import views  # noqa: E402,F401
from board.auth import security_views  # noqa: E402,F401
