"""What went wrong with the stores of this process, in plain words for the dashboard."""

from __future__ import annotations

import errno
import threading
import time
from dataclasses import dataclass, field
from enum import StrEnum

import diskcache


def describe_error(error: BaseException) -> str:
    """Plain words for a storage failure, as shown on the dashboard.

    >>> describe_error(OSError(errno.ENOSPC, "No space left on device"))
    'the disk is full'
    """
    if isinstance(error, OSError) and error.errno == errno.ENOSPC:
        return "the disk is full"
    if isinstance(error, OSError) and error.errno in (errno.EACCES, errno.EPERM, errno.EROFS):
        return "the cache folder is not writable"
    if isinstance(error, OSError) and error.errno in (errno.ENOTDIR, errno.EEXIST):
        return "a file is in the way of a cache folder"
    if isinstance(error, diskcache.Timeout):
        return "the cache database stayed busy too long"
    if isinstance(error, OSError) and error.strerror:
        return error.strerror[:1].lower() + error.strerror[1:]  # the words, not the path
    message = str(error).strip() or type(error).__name__
    if "disk is full" in message:
        return "the disk is full"
    if "readonly" in message or "read-only" in message:
        return "the cache folder is not writable"
    if "not a database" in message or "malformed" in message:
        return "the cache database is corrupt"
    if "locked" in message:
        return "the cache database stayed busy too long"
    return message


class StoreMode(StrEnum):
    """Where a store keeps what it is given."""

    DISK = "disk"  # shared by every process, as intended
    REDIS = "redis"  # shared by every process of every machine (AFFSITE_REDIS_URL)
    MEMORY = "memory"  # this process only (the control store while its disk fails)
    OFF = "off"  # nowhere (the data store when it cannot be opened: no caching)


@dataclass(kw_only=True)
class StoreProblem:
    store: str
    message: str
    at: float


@dataclass
class CacheHealth:
    """Shared record of what went wrong with the stores of this process (thread-safe).

    ``limits_problem`` is set while the control store cannot be kept on disk: the shared
    limits are then unknown to this process and no gateway call is made (see
    ``affsite.cache.control``).
    """

    modes: dict[str, StoreMode] = field(default_factory=dict)  # by store name
    read_errors: int = 0
    write_errors: int = 0
    quarantined: list[str] = field(default_factory=list)
    problems: list[StoreProblem] = field(default_factory=list)
    limits_problem: str | None = None  # a sentence naming the folder and the fix (admins)
    limits_cause: str | None = None  # the cause in a few words, no path (public health checks)
    backend: StoreMode = StoreMode.DISK  # where the shared state is kept: disk or Redis
    backend_detail: str = ""  # for admins: the cache folder, or Redis's address (no password)
    warning: str | None = None  # a setting that puts the shared state at risk, and its fix
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def record(self, store: str, message: str, *, write: bool | None = None) -> None:
        with self._lock:
            if write is True:
                self.write_errors += 1
            elif write is False:
                self.read_errors += 1
            if not self.problems or self.problems[-1].message != message:
                self.problems.append(StoreProblem(store=store, message=message, at=time.time()))
                del self.problems[:-10]

    def set_mode(self, store: str, mode: StoreMode) -> None:
        with self._lock:
            self.modes[store] = mode

    def set_limits(self, problem: str | None, cause: str | None = None) -> None:
        """Record why the shared limits cannot be kept (``None``: they can again)."""
        with self._lock:
            self.limits_problem = problem
            self.limits_cause = cause if problem is not None else None

    @property
    def limits_ok(self) -> bool:
        """False while gateway calls are stopped because the shared limits cannot be kept."""
        return self.limits_problem is None

    @property
    def degraded(self) -> bool:
        if self.warning is not None or not self.limits_ok:
            return True
        return any(mode != self.backend for mode in self.modes.values())

    def describe_backend(self) -> str:
        """Where the shared state is kept, for the dashboard and ``affsite cache stats``."""
        if self.backend == StoreMode.REDIS:
            return f"Redis, shared by every machine ({self.backend_detail})"
        where = f" ({self.backend_detail})" if self.backend_detail else ""
        return f"disk, shared by the workers of this machine{where}"

    def summary(self) -> str:
        """One sentence for the dashboard and ``affsite cache stats``."""
        data = self.modes.get("data", StoreMode.DISK)
        last = self.problems[-1].message if self.problems else None
        if self.limits_problem is not None:
            where = (
                "Redis answers" if self.backend == StoreMode.REDIS else "the folder can be written"
            )
            return (
                f"Gateway calls are stopped: {self.limits_problem}. The quota and the other "
                "limits shared by every worker cannot be kept, so pages show saved products "
                f"or fall back until {where} again."
            )
        if data == StoreMode.OFF:
            return (
                f"Caching is off ({last or 'the cache could not be opened'}): products are "
                "fetched without caching, which spends more of the daily quota."
            )
        if self.write_errors:
            return f"Cache writes failed {self.write_errors} time(s); last problem: {last}."
        if self.quarantined:
            return f"A corrupt cache was moved aside to {self.quarantined[-1]} and rebuilt."
        if self.warning is not None:
            return f"Cache working, but {self.warning}."
        return "Cache working normally."
