from board.stories import bp  # noqa: F401
