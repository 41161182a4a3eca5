"""What the catalog reports about itself: answer counters and short event logs.

Counters are added up in memory and written to the control store in one transaction now and
then (``flush``), because a store write per page view would cost more than the view itself.
Totals shown on the dashboard therefore lag by at most one flush interval per worker; a
worker that stops writes what it holds (``affsite.catalog.flush_on_exit``).

Event logs are short lists in the control store: the last gateway errors in plain words, and
products that stopped being promotable. Beside them, what the last scheduled refresh
(``affsite refresh``) did and when, so the dashboard can say when cron stopped running it.
"""

from __future__ import annotations

import contextlib
import math
import threading
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from affsite.aliexpress import ApiError
from affsite.cache import Store, StoreError, Tx
from affsite.catalog.answers import Status
from affsite.limits import BreakerStatus, QuotaStatus

ERRORS_KEY = "log:errors"
NOT_PROMOTABLE_KEY = "log:not_promotable"
MAX_ERRORS = 10
MAX_NOT_PROMOTABLE = 50
LAST_REFRESH_KEY = "log:last_refresh"
# A scheduled refresh runs every 15 minutes (docs/deploy.md): two hours without one means the
# cron job stopped, and products are only renewed when visitors find them expired.
REFRESH_LATE_AFTER = 2 * 3600.0
_REFRESH_COUNTS = ("due", "calls", "refreshed", "not_promotable", "failed")


def _key(status: Status) -> str:
    return f"stats:{status}"


class Counters:
    """Answers per status, buffered per process."""

    def __init__(self, ctl: Store) -> None:
        self._ctl = ctl
        self._pending: Counter[Status] = Counter()
        self._lock = threading.Lock()

    def add(self, statuses: Iterable[Status]) -> None:
        with self._lock:
            self._pending.update(statuses)

    def flush(self) -> None:
        with self._lock:
            pending = +self._pending
            self._pending.clear()
        if not pending:
            return

        def write(tx: Tx) -> None:
            for status, amount in pending.items():
                current = tx.get(_key(status), 0)
                base = current if isinstance(current, int) else 0
                tx.set(_key(status), base + amount)

        try:
            self._ctl.atomic(write)
        except StoreError:
            with self._lock:
                self._pending.update(pending)  # try again at the next flush

    def totals(self) -> dict[Status, int]:
        self.flush()
        result: dict[Status, int] = {}
        for status in Status:
            value = self._ctl.get(_key(status), 0)
            result[status] = value if isinstance(value, int) else 0
        return result


class EventLog:
    """Recent gateway errors and products that stopped being promotable."""

    def __init__(self, ctl: Store) -> None:
        self._ctl = ctl

    def _append(self, key: str, items: list[dict[str, Any]], keep: int) -> None:
        def write(tx: Tx) -> None:
            current = tx.get(key)
            entries = current if isinstance(current, list) else []
            entries.extend(items)
            tx.set(key, entries[-keep:])

        with contextlib.suppress(StoreError):
            self._ctl.atomic(write)

    def error(self, method: str, error: ApiError, at: float) -> None:
        kind = getattr(error, "reason", None) or type(error).__name__
        item = {"at": at, "kind": kind, "method": method, "message": error.message}
        self._append(ERRORS_KEY, [{**item, "fix": error.fix}], MAX_ERRORS)

    def not_promotable(self, items: list[tuple[str, str | None]], at: float) -> None:
        if items:
            self._append(
                NOT_PROMOTABLE_KEY,
                [{"at": at, "id": product_id, "title": title} for product_id, title in items],
                MAX_NOT_PROMOTABLE,
            )

    def refreshed(self, summary: dict[str, Any], at: float) -> None:
        """Keep what a scheduled refresh did (``RefreshReport.to_json()``) and when."""
        self._ctl.set(LAST_REFRESH_KEY, {**summary, "at": at})

    def last_refresh(self, now: float) -> dict[str, Any] | None:
        """What the last scheduled refresh did: its counts, ``lists`` (due, renewed, failed),
        ``stopped``, ``at``, ``ago`` (seconds before ``now``) and ``late``; None before the
        first. Read back field by field: the page shows only numbers and a reason word."""
        raw = self._ctl.get(LAST_REFRESH_KEY)
        if not isinstance(raw, dict):
            return None
        at = raw.get("at")
        if isinstance(at, bool) or not isinstance(at, int | float) or not math.isfinite(at):
            return None
        lists = raw.get("lists")
        lists = lists if isinstance(lists, dict) else {}
        stopped = raw.get("stopped")
        return {
            **{name: _count(raw.get(name)) for name in _REFRESH_COUNTS},
            "lists": {name: _count(lists.get(name)) for name in ("due", "renewed", "failed")},
            "stopped": stopped if isinstance(stopped, str) and stopped.isidentifier() else None,
            "at": float(at),
            "ago": max(0.0, now - at),
            "late": now - at > REFRESH_LATE_AFTER,
        }

    def recent(self, key: str) -> list[dict[str, Any]]:
        value = self._ctl.get(key)
        if not isinstance(value, list):
            return []
        return [item for item in reversed(value) if isinstance(item, dict)]

    def errors(self) -> list[dict[str, Any]]:
        """Newest first: ``at``, ``kind``, ``method``, ``message``, ``fix``."""
        return self.recent(ERRORS_KEY)

    def stopped_promotable(self) -> list[dict[str, Any]]:
        """Newest first: ``at``, ``id``, ``title``."""
        return self.recent(NOT_PROMOTABLE_KEY)


@dataclass(frozen=True, kw_only=True)
class CatalogStats:
    """Everything the dashboard and ``affsite cache stats`` show."""

    counters: dict[Status, int]
    entries: int
    volume_bytes: int
    indexed_products: int
    namespace: str
    quota: QuotaStatus
    breaker: BreakerStatus
    ban_until: float | None
    cache_state: str  # "ok" or "degraded"
    cache_summary: str
    cache_modes: dict[str, str]
    recent_errors: list[dict[str, Any]]
    stopped_promotable: list[dict[str, Any]]
    new_products_used: int = 0  # calls granted today to products only public requests asked for
    new_products_limit: int = 0
    last_refresh: dict[str, Any] | None = None  # ``EventLog.last_refresh``; None: never ran

    @property
    def answers(self) -> int:
        return sum(self.counters.get(status, 0) for status in Status)

    @property
    def hit_ratio(self) -> float | None:
        """Share of answers served from the cache without a gateway call (HIT, NEGATIVE,
        STALE) among all answers; None before the first answer.
        """
        total = self.answers
        if not total:
            return None
        cached = (Status.HIT, Status.NEGATIVE, Status.STALE)
        return sum(self.counters.get(status, 0) for status in cached) / total

    def to_json(self) -> dict[str, Any]:
        return {
            "answers": {str(status): self.counters.get(status, 0) for status in Status},
            "hit_ratio": self.hit_ratio,
            "stale_served": self.counters.get(Status.STALE, 0),
            "fallbacks": self.counters.get(Status.FALLBACK, 0),
            "entries": self.entries,
            "volume_bytes": self.volume_bytes,
            "indexed_products": self.indexed_products,
            "namespace": self.namespace,
            "quota": self.quota.to_json(),
            "new_products": {"used": self.new_products_used, "limit": self.new_products_limit},
            "breaker": {
                "state": self.breaker.state,
                "failures": self.breaker.failures,
                "open_until": self.breaker.open_until,
                "reason": self.breaker.reason,
            },
            "ban_until": self.ban_until,
            "cache": {
                "state": self.cache_state,
                "summary": self.cache_summary,
                "stores": self.cache_modes,
            },
            "recent_errors": self.recent_errors,
            "stopped_promotable": self.stopped_promotable,
            "last_refresh": self.last_refresh,
        }


def _count(value: Any) -> int:
    return value if isinstance(value, int) and not isinstance(value, bool) and value >= 0 else 0
