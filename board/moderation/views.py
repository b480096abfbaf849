from board.moderation import bp  # noqa: F401
