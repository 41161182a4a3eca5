"""How values are written to disk: JSON instead of pickle, in owner-only files.

diskcache pickles by default, and unpickling runs code: anyone able to write the cache folder
could then run code in the app. ``JsonDisk`` stores numbers and strings natively (so ``incr``
works) and everything else as JSON, refuses pickled rows it finds, and writes the files of
large values (32 KiB and more) with mode 0600 in 0700 folders, where diskcache would use the
umask (0644 and 0755).
"""

from __future__ import annotations

import contextlib
import json
import os
from pathlib import Path
from typing import Any

import diskcache
from diskcache.core import MODE_PICKLE, UNKNOWN

from affsite.files import PRIVATE_DIR_MODE, PRIVATE_FILE_MODE

_JSON_PREFIX = b"J"
# Value files sit two folder levels below the store's folder (``ab/cd/<name>.val``).
_VALUE_FOLDER_DEPTH = 2
# diskcache retries creating a value file when a concurrent delete removed its folder.
_WRITE_ATTEMPTS = 10


class JsonDisk(diskcache.Disk):  # type: ignore[misc]
    """diskcache serialisation without pickle: str keys; int/float/str values natively,
    anything else JSON-encoded (``None``, bool, dict, list). Pickled rows are refused.
    """

    def put(self, key: Any) -> Any:
        if type(key) is not str:
            raise TypeError("cache keys are strings")
        return super().put(key)

    def get(self, key: Any, raw: bool) -> Any:
        if not raw:
            raise ValueError("refusing a pickled cache key")
        return super().get(key, raw)

    def store(self, value: Any, read: bool, key: Any = UNKNOWN) -> Any:
        if read:
            raise TypeError("file values are not stored in the cache")
        if type(value) in (int, float, str):
            return super().store(value, read, key=key)
        encoded = _JSON_PREFIX + json.dumps(value, separators=(",", ":")).encode("utf-8")
        return super().store(encoded, read, key=key)

    def fetch(self, mode: int, filename: str | None, value: Any, read: bool) -> Any:
        if mode == MODE_PICKLE:
            raise ValueError("refusing a pickled cache value")
        data = super().fetch(mode, filename, value, read)
        if isinstance(data, bytes):
            if not data.startswith(_JSON_PREFIX):
                raise ValueError("unknown cache value encoding")
            return json.loads(data[len(_JSON_PREFIX) :])
        return data

    def _write(self, full_path: str, iterator: Any, mode: str, encoding: str | None = None) -> int:
        """Write a value file owner-only (replaces diskcache's ``Disk._write``, same contract:
        ``mode`` is ``"xb"`` or ``"x"``, the file must not exist, the size is returned).
        """
        path = Path(full_path)
        for attempt in range(1, _WRITE_ATTEMPTS + 1):
            folder = path.parent
            for level in reversed([folder, *folder.parents][:_VALUE_FOLDER_DEPTH]):
                # A folder that is there is fine; one that vanished is retried below.
                with contextlib.suppress(FileExistsError, FileNotFoundError):
                    level.mkdir(mode=PRIVATE_DIR_MODE)
            try:
                fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, PRIVATE_FILE_MODE)
            except FileNotFoundError:
                if attempt == _WRITE_ATTEMPTS:
                    raise
                continue  # another process removed the emptied folder meanwhile
            with open(fd, mode.replace("x", "w"), encoding=encoding) as writer:
                size = 0
                for chunk in iterator:
                    size += len(chunk)
                    writer.write(chunk)
                return size
        raise AssertionError("unreachable")  # the loop returns or raises
