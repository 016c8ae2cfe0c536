"""The state folder's files, touched safely: never through a link planted there, replaced whole.

CI carries the folder from job to job, and a shared runner may hold a folder others can write
to: a link planted in it could make a write land elsewhere, or make the lock lock nothing. So a
folder that is a link to a place others can write to is refused (`check_state_dir`), its files
are opened without following links (`open_own`), and a file rewritten whole (the doctor's
findings; the journal once compacted) goes to a temporary file renamed over it, then the folder
is fsync'd (`fsync_dir`), so a kill leaves the old file or the new one, never half of one.
"""

from __future__ import annotations

import errno
import json
import os
import stat
import tempfile
from pathlib import Path
from typing import Any

from reconciler.errors import ReconcilerError


class StateDirError(ReconcilerError):
    """The state folder cannot be used (not a folder, not writable, locked by another apply)."""


def ends_mid_line(path: Path) -> bool:
    """Does the file end part-way through a line (a run killed mid-write)? Never follows a link."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW)
    except OSError:
        return False  # absent, or a link (never followed: replaced before the write)
    try:
        with os.fdopen(fd, "rb") as fh:
            fh.seek(0, os.SEEK_END)
            if fh.tell() == 0:
                return False
            fh.seek(-1, os.SEEK_END)
            return fh.read(1) != b"\n"
    except FileNotFoundError:
        return False


def check_state_dir(path: Path) -> None:
    """Refuse a state folder that is a symbolic link to a place others can write to (another user
    owns it, or its group or everyone may write to it): a journal there could be planted, and the
    lock would lock nothing. A folder of your own reached through a link is fine."""
    if not os.path.islink(path):
        return
    target = os.path.realpath(path)
    try:
        st = os.stat(target)
    except OSError:
        return  # dangling: creating it fails with its own clear error
    others = st.st_mode & (stat.S_IWGRP | stat.S_IWOTH) or st.st_uid not in (os.getuid(), 0)
    if others:
        raise StateDirError(f"the state folder {path} is a symbolic link to {target}, which others can write to: "
                            "refused (use a folder only you can write to, or --state-dir)")


def open_own(path: Path, flags: int) -> int:
    """Open a file of the state folder without following a link (O_NOFOLLOW). A link planted there
    is removed and a file of ours made in its place; the place it pointed to is never touched."""
    try:
        return os.open(path, flags | os.O_NOFOLLOW, 0o600)
    except OSError as e:
        if e.errno != errno.ELOOP:
            raise
    os.unlink(path)
    return os.open(path, flags | os.O_NOFOLLOW | os.O_CREAT | os.O_EXCL, 0o600)


def link_target(path: Path) -> str:
    """Where a link points, cut short for a message (it is someone else's text)."""
    try:
        return os.readlink(path)[:200]
    except OSError:
        return "?"


def fsync_dir(path: Path) -> None:
    """Make a rename in the folder durable; best effort (some file systems refuse it)."""
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


DOCTOR_FILE = "doctor.json"


def save_doctor(state_dir: str | os.PathLike[str], doc: dict[str, Any]) -> Path:
    """Write what `doctor --save` learned to `doctor.json` in the state folder: atomically (a temporary
    file renamed over it, so a link planted there is replaced, never followed). Returns its path."""
    folder = Path(state_dir)
    check_state_dir(folder)
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / DOCTOR_FILE
    fd, tmp = tempfile.mkstemp(prefix=".doctor.", dir=folder)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(json.dumps(doc, indent=2, sort_keys=True) + "\n")
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise
    fsync_dir(folder)
    return path
