"""Where stale entries get refreshed: beside the request (a worker thread) or right away.

Stale-while-revalidate means the visitor gets the expired entry at once and one refresh runs
elsewhere. We run it in one background thread per process rather than "after the response"
(``call_on_close``) because the catalog is also called from template tags, embeds and the
CLI, not only from views, and because a sync gunicorn worker busy with a post-response gateway
call cannot serve anyone else for up to the client's deadline. The thread needs no Flask
context: each job reads the settings in force when it runs from the catalog's settings
provider (a job may wait while the settings are saved) and uses the catalog's own stores.

The queue is bounded and each product id is queued at most once per process; the single-flight
locks in the control store make sure other processes do not refresh the same ids meanwhile.
If the process dies mid-refresh, its locks expire and a later view schedules the refresh again.
"""

from __future__ import annotations

import logging
import os
import queue
import threading
from collections.abc import Callable, Sequence
from typing import Protocol

log = logging.getLogger(__name__)

Job = Callable[[list[str]], None]


class Refresher(Protocol):
    def submit(self, group: str, ids: Sequence[str], job: Job) -> bool:
        """Run ``job(ids not already pending in group)`` soon; False when nothing was queued."""
        ...

    def close(self, timeout: float = 5.0) -> None: ...


class InlineRefresher:
    """Runs each job at once, in the caller's thread (tests, benchmarks, the CLI)."""

    def submit(self, group: str, ids: Sequence[str], job: Job) -> bool:
        if not ids:
            return False
        try:
            job(list(ids))
        except Exception:  # a refresh must never break the answer already given
            log.exception("refresh of %d product(s) failed", len(ids))
        return True

    def close(self, timeout: float = 5.0) -> None:
        return None


class ThreadRefresher:
    """One daemon worker thread per process with a bounded queue of jobs."""

    def __init__(self, max_pending: int = 64) -> None:
        self._max_pending = max_pending
        self._lock = threading.Lock()
        self._reset()

    def _reset(self) -> None:
        self._pid = os.getpid()
        self._queue: queue.Queue[tuple[str, list[str], Job] | None] = queue.Queue(self._max_pending)
        self._pending: set[tuple[str, str]] = set()
        self._thread: threading.Thread | None = None

    def submit(self, group: str, ids: Sequence[str], job: Job) -> bool:
        with self._lock:
            if self._pid != os.getpid():  # forked: the parent's thread does not exist here
                self._reset()
            fresh = [pid for pid in dict.fromkeys(ids) if (group, pid) not in self._pending]
            if not fresh:
                return False
            try:
                self._queue.put_nowait((group, fresh, job))
            except queue.Full:
                return False  # a later view will ask again
            self._pending.update((group, pid) for pid in fresh)
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(
                    target=self._work, name="affsite-refresh", daemon=True
                )
                self._thread.start()
            return True

    def _work(self) -> None:
        while True:
            item = self._queue.get()
            if item is None:
                return
            group, ids, job = item
            try:
                job(ids)
            except Exception:
                log.exception("background refresh of %d product(s) failed", len(ids))
            finally:
                with self._lock:
                    self._pending.difference_update((group, pid) for pid in ids)

    def close(self, timeout: float = 5.0) -> None:
        """Let queued jobs finish (bounded by ``timeout``) and stop the thread."""
        with self._lock:
            thread = self._thread
        if thread is None or not thread.is_alive():
            return
        try:
            self._queue.put(None, timeout=timeout)
        except queue.Full:
            return
        thread.join(timeout)
