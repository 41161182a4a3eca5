"""Private files in the instance folder: created owner-only and replaced atomically.

Everything affsite keeps in its instance folder (settings with the App Secret, the session
signing key, the admin password hash, login throttle state) is readable by the owner only.
Files are never world-readable, not even for the moment between creation and ``chmod``:
they are created with mode 0600 from the start.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import stat
from pathlib import Path

PRIVATE_DIR_MODE = 0o700
PRIVATE_FILE_MODE = 0o600


def ensure_private_dir(path: Path) -> Path:
    """Create ``path`` (and parents) if missing; make it owner-only (0700). Returns ``path``."""
    path.mkdir(mode=PRIVATE_DIR_MODE, parents=True, exist_ok=True)
    if stat.S_IMODE(path.stat().st_mode) != PRIVATE_DIR_MODE:
        # An existing folder (e.g. from a source checkout) may be group/world readable.
        with contextlib.suppress(PermissionError):
            path.chmod(PRIVATE_DIR_MODE)
    return path


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
