"""Domain errors raised by services; views turn them into form errors or pages."""
from __future__ import annotations

from board.permissions import PermissionDenied  # noqa: F401  (re-exported)


class RuleViolation(Exception):
    """The request breaks a rule the member can fix (too many links, a blocked phrase…)."""

    def __init__(self, message: str, field: str | None = "body"):
        super().__init__(message)
        self.message = message
        self.field = field


class Conflict(Exception):
    """Someone else got there first (an item already handled, a claim held)."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message
