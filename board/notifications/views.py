from board.notifications import bp  # noqa: F401
