"""Pictures in backups (`flask --app board backup PATH` / `restore PATH`, board/mail_cli.py).

* `MEDIA_STORAGE=database`: the bytes are rows of `media_blobs`, so the database backup holds
  them; nothing else to do.
* Files on disk (`MEDIA_STORAGE=filesystem`, or files a machine still has from before a switch):
  `backup PATH` also writes `PATH.media.tar` beside the database backup, a plain tar of the
  files under MEDIA_DIR (written to a `.part` file and renamed, like the database copy).
  `restore PATH` reads `PATH.media.tar` when it is there and puts each file into the storage
  this app is configured with (so a filesystem backup restores into a database-mode site too).
  Only regular files named `<sha256>.<ext>` are taken from an archive; anything else in it is
  skipped (no paths from outside are ever written).
"""
from __future__ import annotations

import hashlib
import os
import tarfile
from pathlib import Path

from board.extensions import db
from board.media import pipeline, storage

SUFFIX = ".media.tar"


def archive_path(backup: Path) -> Path:
    return backup.with_name(backup.name + SUFFIX)


def _files_on_disk() -> list[Path]:
    root = storage.media_dir()
    if not root.is_dir():
        return []
    return sorted(p for p in root.glob("*/*") if p.is_file() and storage.valid_name(p.name))


def write_archive(backup: Path, *, always: bool) -> tuple[Path, int] | None:
    """Write the media archive beside `backup`; None when there is nothing on disk and not `always`."""
    files = _files_on_disk()
    if not files and not always:
        return None
    target = archive_path(backup)
    tmp = target.with_name(target.name + ".part")
    tmp.unlink(missing_ok=True)
    with tarfile.open(tmp, "w") as tar:
        for path in files:
            tar.add(path, arcname=f"{path.name[:2]}/{path.name}", recursive=False)
    os.replace(tmp, target)
    return target, len(files)


def restore_archive(backup: Path) -> int | None:
    """Put the archive's files into this app's storage; None when there is no archive."""
    source = archive_path(backup)
    if not source.exists():
        return None
    count = 0
    with tarfile.open(source, "r") as tar:
        for member in tar:
            name = Path(member.name).name
            if not member.isfile() or not storage.valid_name(name) or member.size > 200 * 1024 * 1024:
                continue
            data = tar.extractfile(member).read()
            if hashlib.sha256(data).hexdigest() != name.split(".")[0]:
                continue  # not the file its name promises: never served
            storage.put(name, data, pipeline.TYPES[name.rsplit(".", 1)[1]])
            count += 1
    db.session.commit()
    return count
