"""Private files and folders: created owner-only and replaced atomically.

Everything affsite keeps in its instance folder (settings with the App Secret, the session
signing key, the admin password hash, login throttle state) is readable by the owner only.
Files are never world-readable, not even for the moment between creation and ``chmod``:
they are created with mode 0600 from the start. Folders affsite creates are 0700; folders it
finds keep their mode.
"""

from __future__ import annotations

import contextlib
import errno
import logging
import os
import secrets
import stat
from pathlib import Path

PRIVATE_DIR_MODE = 0o700
PRIVATE_FILE_MODE = 0o600

log = logging.getLogger(__name__)
# Folders already reported as open to others (one warning per process each).
_WARNED: set[Path] = set()


def ensure_private_dir(path: Path) -> Path:
    """Create ``path`` and any missing parents owner-only (0700); return ``path``.

    A folder that already exists keeps its mode, whoever made it: it may be shared on purpose
    (a sticky 1777 folder, a group's folder), and changing it would break that. affsite's own
    files in it are created 0600 and its own folders 0700 all the same. A folder open to other
    users is logged once.

    :raise OSError: ``path`` cannot be created, or is not a folder.
    """
    missing: list[Path] = []
    folder = path
    while not folder.exists() and folder != folder.parent:
        missing.append(folder)
        folder = folder.parent
    for new in reversed(missing):
        try:
            new.mkdir(mode=PRIVATE_DIR_MODE)
        except FileExistsError:
            continue  # another process made it first: not ours to change
        if stat.S_IMODE(new.stat().st_mode) != PRIVATE_DIR_MODE:
            new.chmod(PRIVATE_DIR_MODE)  # ours: undo what the umask added or removed
    if not path.is_dir():
        raise NotADirectoryError(errno.ENOTDIR, "not a folder", str(path))
    if not missing:
        _warn_if_open(path)
    return path


def _warn_if_open(path: Path) -> None:
    mode = stat.S_IMODE(path.stat().st_mode)
    if mode & 0o077 and path not in _WARNED:
        _WARNED.add(path)
        log.warning(
            "%s is open to other users (mode %o); affsite leaves the mode of folders it did "
            "not create alone, and keeps its own files in it private",
            path,
            mode,
        )


def make_private_file(path: Path, *, create: bool = True) -> None:
    """Make ``path`` an owner-only (0600) file: created empty when missing (if ``create``),
    restricted when it exists with bits for others. Links, and files of other users, are
    left alone.
    """
    if create:
        try:
            os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, PRIVATE_FILE_MODE))
            return
        except FileExistsError:
            pass
    try:
        found = path.lstat()
    except FileNotFoundError:
        return
    mine = found.st_uid == os.geteuid()
    if mine and stat.S_ISREG(found.st_mode) and stat.S_IMODE(found.st_mode) & 0o077:
        path.chmod(PRIVATE_FILE_MODE)


def _write_temp(directory: Path, name: str, data: bytes) -> Path:
    """Write ``data`` to a new owner-only temp file in ``directory``, fsync it, return its path."""
    temp = directory / f".{name}.{secrets.token_hex(6)}.tmp"
    fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, PRIVATE_FILE_MODE)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            temp.unlink()
        raise
    return temp


def _fsync_dir(directory: Path) -> None:
    # Makes the rename itself durable: without it a power cut can bring back the old name.
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def write_private_file(path: Path, data: bytes) -> None:
    """Replace ``path`` with ``data`` atomically: readers see the old bytes or the new, never
    a mix. On any failure the old file is untouched and no temp file is left behind.
    """
    temp = _write_temp(path.parent, path.name, data)
    try:
        os.replace(temp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            temp.unlink()
        raise
    _fsync_dir(path.parent)


def create_private_file_once(path: Path, data: bytes) -> bool:
    """Create ``path`` with ``data`` unless it already exists (atomically, complete or absent).

    Several worker processes may start at once; exactly one of them wins. Returns True when
    this call created the file, False when another one already existed.
    """
    temp = _write_temp(path.parent, path.name, data)
    try:
        os.link(temp, path)  # fails if the name exists; never exposes a half-written file
    except FileExistsError:
        return False
    finally:
        with contextlib.suppress(FileNotFoundError):
            temp.unlink()
    _fsync_dir(path.parent)
    return True
