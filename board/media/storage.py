"""Where cleaned picture files live: the filesystem (default) or the database.

`MEDIA_STORAGE=filesystem` keeps each file at `MEDIA_DIR/<first two hex>/<name>` (MEDIA_DIR
defaults to `instance/media`). `MEDIA_STORAGE=database` keeps the bytes in `media_blobs`, so
every application machine sharing the database serves them and database backups hold them.

Files are named by the SHA-256 of their bytes, so writing the same picture twice keeps one
copy, and a file never changes once written. Reading looks in the configured place first,
then in the other: an app in filesystem mode serves a picture another machine stored in the
database (and a database-mode app one a filesystem-mode app wrote to a shared disk).
"""
from __future__ import annotations

import os
import re
import tempfile
from pathlib import Path

from flask import current_app
from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError

from board.extensions import db
from board.models import MediaBlob

NAME = re.compile(r"^[0-9a-f]{64}\.(?:jpg|png)$")
DATABASE, FILESYSTEM = "database", "filesystem"


def valid_name(name: str) -> bool:
    return bool(NAME.match(name or ""))


def mode() -> str:
    value = current_app.config.get("MEDIA_STORAGE", FILESYSTEM)
    return DATABASE if value == DATABASE else FILESYSTEM


def media_dir() -> Path:
    configured = current_app.config.get("MEDIA_DIR") or ""
    return Path(configured) if configured else Path(current_app.instance_path) / "media"


def _path(name: str) -> Path:
    if not valid_name(name):  # never a path from outside: only our own hex names
        raise ValueError("not a media name")
    return media_dir() / name[:2] / name


def put(name: str, data: bytes, content_type: str) -> None:
    """Store a cleaned file (idempotent: the name is the hash of the bytes)."""
    if mode() == DATABASE:
        if db.session.scalar(select(MediaBlob.name).where(MediaBlob.name == name)) is not None:
            return
        try:
            with db.session.begin_nested():  # a savepoint: another request may store the same bytes now
                db.session.add(MediaBlob(name=name, content_type=content_type, data=data))
        except IntegrityError:
            pass  # it did: the row holds these very bytes (the name is their hash)
        return
    path = _path(name)
    if path.exists():
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".upload-")
    with os.fdopen(fd, "wb") as out:
        out.write(data)
    os.replace(tmp, path)  # atomic: a reader never sees half a file


def _get_file(name: str) -> bytes | None:
    try:
        return _path(name).read_bytes()
    except (FileNotFoundError, NotADirectoryError, ValueError):
        return None


def _get_blob(name: str) -> bytes | None:
    return db.session.scalar(select(MediaBlob.data).where(MediaBlob.name == name))


def get(name: str) -> bytes | None:
    if not valid_name(name):
        return None
    first, second = (_get_blob, _get_file) if mode() == DATABASE else (_get_file, _get_blob)
    data = first(name)
    return data if data is not None else second(name)


def remove(name: str) -> None:
    """Delete a file from both places (callers check that nothing refers to it any more)."""
    if not valid_name(name):
        return
    db.session.execute(delete(MediaBlob).where(MediaBlob.name == name))
    try:
        _path(name).unlink()
    except FileNotFoundError:
        pass


def stored_names() -> set[str]:
    """Every file name held, in both places (for the orphan clean-up)."""
    names = set(db.session.scalars(select(MediaBlob.name)))
    root = media_dir()
    if root.is_dir():
        names.update(p.name for p in root.glob("*/*") if valid_name(p.name))
    return names
