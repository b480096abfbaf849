"""The shared parts' generation (board/forum/shared_parts.py): one row, bumped in the same
transaction as every write that changes what members' shared pages show."""
from __future__ import annotations

from sqlalchemy import BigInteger
from sqlalchemy.orm import Mapped, mapped_column

from board.models.base import Base


class SharedGeneration(Base):
    """One row (id 1). Its `value` only grows; pages' shared parts are kept per value."""

    __tablename__ = "shared_generation"

    id: Mapped[int] = mapped_column(primary_key=True)
    value: Mapped[int] = mapped_column(BigInteger)
