"""Clicks on boxes (``/go/<id>``) and views, per product and day: the dashboard's and
``affsite stats``'s numbers.

Only what a click is about is kept: the product id, the day and a count. Never who clicked: no
address, no header, no referrer, no user agent. Stored tracking data that reaches the admin
pages is how anonymous visitors put scripts into affiliate dashboards (Pretty Links,
CVE-2019-25147); here there is none to put.

Days are UTC dates. The AliExpress quota day (``affsite.limits.quota``) runs on Beijing time
because that is when AliExpress lifts its ban; clicks have no such deadline, and the
dashboard shows every other time in UTC, so a click day is a UTC day, the same for every
server and every reader.

Views are the catalog's own view counts (``ProductIndex``): when the index writes the views it
buffered, it hands the same per-product counts here (``viewed``), so counting views per day
costs nothing per request. They count on the day of the product's last view in that batch (a
batch spans at most one flush interval, so only views buffered in the seconds before midnight
can land on the next day). A view is an answer the catalog gave for the product (a page, an
embed, the JSON API); answers a CDN or browser served from its own copy never reach us, so
click-through per view is an upper bound where a cache sits in front.

Counts are buffered per process and written to the control store in one transaction now and
then (every ``flush_interval``, whenever the catalog flushes, and when the worker stops:
``affsite.catalog.flush_on_exit``), so every worker's clicks add up in one place. One key per
day (``clicks:2024-06-01``) holds ``{product_id: [clicks, views]}`` for at most
``MAX_PRODUCTS_PER_DAY`` products (the most clicked, then most viewed), and another
(``clicks-total:2024-06-01``) the day's ``[clicks, views]`` over every product, so a large
catalog's daily totals are whole even where its table is cut. Both expire ``KEEP_DAYS`` after
the day's last write.
"""

from __future__ import annotations

import logging
import threading
from collections import Counter
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from affsite.aliexpress import global_id
from affsite.cache import CacheStores, Store, StoreError, Tx
from affsite.catalog.click_targets import ClickTarget, ClickTargets, ClientMaker
from affsite.catalog.entries import Entries, namespace
from affsite.clock import Clock
from affsite.limits import FetchLocks
from affsite.settings import SettingsProvider

log = logging.getLogger(__name__)

KEEP_DAYS = 90
MAX_DAYS = KEEP_DAYS  # the longest window a report may cover
MAX_PRODUCTS_PER_DAY = 20_000
_DAY_SECONDS = 86_400.0

TitleLookup = Callable[[str], str | None]


def click_day(now: float) -> str:
    """The UTC date containing ``now``.

    >>> click_day(1_700_000_000)  # 2023-11-14 22:13 UTC
    '2023-11-14'
    """
    return datetime.fromtimestamp(now, tz=UTC).date().isoformat()


def last_days(now: float, days: int) -> tuple[str, ...]:
    """The ``days`` UTC dates ending with today's, oldest first.

    >>> last_days(1_700_000_000, 3)
    ('2023-11-12', '2023-11-13', '2023-11-14')
    """
    today = datetime.fromtimestamp(now, tz=UTC).date()
    return tuple((today - timedelta(days=back)).isoformat() for back in range(days - 1, -1, -1))


def day_key(day: str) -> str:
    return f"clicks:{day}"


def total_key(day: str) -> str:
    return f"clicks-total:{day}"


def _counts(raw: Any) -> tuple[int, int] | None:
    if not isinstance(raw, list) or len(raw) != 2:
        return None
    clicks, views = raw
    if not all(isinstance(n, int) and not isinstance(n, bool) and n >= 0 for n in raw):
        return None
    return clicks, views


@dataclass(frozen=True, kw_only=True)
class ProductClicks:
    """One product's clicks per day (aligned with ``ClickReport.days``) and views."""

    product_id: str
    title: str | None  # from the cached product: untrusted text, escape it
    clicks_per_day: tuple[int, ...]
    views: int

    @property
    def clicks(self) -> int:
        return sum(self.clicks_per_day)

    @property
    def click_through(self) -> float | None:
        """Clicks per view over the report's days; None without views."""
        return self.clicks / self.views if self.views else None


@dataclass(frozen=True, kw_only=True)
class ClickReport:
    """Clicks and views of the last ``len(days)`` UTC days; the top products by clicks."""

    days: tuple[str, ...]  # oldest first; the last is today
    clicks_per_day: tuple[int, ...]
    views_per_day: tuple[int, ...]
    products: tuple[ProductClicks, ...]  # most clicked first, then most viewed
    products_counted: int  # products with a click or a view in the window (before the cut)

    @property
    def clicks(self) -> int:
        return sum(self.clicks_per_day)

    @property
    def views(self) -> int:
        return sum(self.views_per_day)

    @property
    def click_through(self) -> float | None:
        return self.clicks / self.views if self.views else None

    def to_json(self) -> dict[str, Any]:
        return {
            "day_basis": "UTC",
            "days": list(self.days),
            "clicks": self.clicks,
            "views": self.views,
            "click_through": self.click_through,
            "clicks_per_day": dict(zip(self.days, self.clicks_per_day, strict=True)),
            "views_per_day": dict(zip(self.days, self.views_per_day, strict=True)),
            "products_counted": self.products_counted,
            "products": [
                {
                    "id": item.product_id,
                    "title": item.title,
                    "clicks": item.clicks,
                    "views": item.views,
                    "click_through": item.click_through,
                    "clicks_per_day": dict(zip(self.days, item.clicks_per_day, strict=True)),
                }
                for item in self.products
            ],
        }


class ClickLog:
    """Clicks and views per product and UTC day, buffered per process (see the module doc)."""

    def __init__(
        self,
        ctl: Store,
        clock: Clock,
        *,
        flush_interval: float = 30.0,
        max_products: int = MAX_PRODUCTS_PER_DAY,
    ) -> None:
        self._ctl = ctl
        self._clock = clock
        self.flush_interval = flush_interval
        self.max_products = max_products
        self._lock = threading.Lock()
        self._clicks: Counter[tuple[str, str]] = Counter()  # (day, product id)
        self._views: Counter[tuple[str, str]] = Counter()
        self._last_flush = clock()

    def record(self, product_id: str) -> None:
        """Count one click on ``product_id`` now (written at the next flush, at most
        ``flush_interval`` from now while clicks keep coming)."""
        now = self._clock()
        with self._lock:
            self._clicks[(click_day(now), product_id)] += 1
            due = now - self._last_flush >= self.flush_interval
        if due:
            self.flush()

    def viewed(self, counts: Mapping[str, int], last_view: Mapping[str, float]) -> None:
        """Views the product index just wrote (``ProductIndex`` calls this), counted on the
        day each product was last viewed (today when not known)."""
        now = self._clock()
        with self._lock:
            for product_id, count in counts.items():
                if count > 0:
                    day = click_day(last_view.get(product_id, now))
                    self._views[(day, product_id)] += count

    def flush(self) -> None:
        """Write what this process counted; on failure keep it for the next flush."""
        with self._lock:
            self._last_flush = self._clock()
            clicks, views = +self._clicks, +self._views
            self._clicks.clear()
            self._views.clear()
        if not clicks and not views:
            return
        days: dict[str, dict[str, list[int]]] = {}
        for (day, product_id), count in clicks.items():
            days.setdefault(day, {}).setdefault(product_id, [0, 0])[0] += count
        for (day, product_id), count in views.items():
            days.setdefault(day, {}).setdefault(product_id, [0, 0])[1] += count

        def write(tx: Tx) -> None:
            for day, added in days.items():
                total = _counts(tx.get(total_key(day))) or (0, 0)
                new_total = [
                    total[0] + sum(c for c, _ in added.values()),
                    total[1] + sum(v for _, v in added.values()),
                ]
                tx.set(total_key(day), new_total, expire=KEEP_DAYS * _DAY_SECONDS)
                current = tx.get(day_key(day))
                table: dict[str, Any] = current if isinstance(current, dict) else {}
                for product_id, (new_clicks, new_views) in added.items():
                    old = _counts(table.get(product_id)) or (0, 0)
                    table[product_id] = [old[0] + new_clicks, old[1] + new_views]
                if len(table) > self.max_products:
                    # Keep the most clicked, then most viewed.
                    ranked = sorted(
                        table, key=lambda pid: _counts(table[pid]) or (0, 0), reverse=True
                    )
                    table = {pid: table[pid] for pid in ranked[: self.max_products]}
                tx.set(day_key(day), table, expire=KEEP_DAYS * _DAY_SECONDS)

        try:
            self._ctl.atomic(write)
        except StoreError:
            with self._lock:  # try again at the next flush
                self._clicks.update(clicks)
                self._views.update(views)

    def day(self, day: str) -> dict[str, tuple[int, int]]:
        """``{product_id: (clicks, views)}`` written for one UTC day."""
        raw = self._ctl.get(day_key(day))
        if not isinstance(raw, dict):
            return {}
        table = {}
        for product_id, value in raw.items():
            counts = _counts(value)
            if isinstance(product_id, str) and counts is not None:
                table[product_id] = counts
        return table

    def day_total(self, day: str, table: Mapping[str, tuple[int, int]]) -> tuple[int, int]:
        """The day's ``(clicks, views)`` over every product: as written beside ``table``
        (the day's table as read), or the table's sums for days written before totals were."""
        written = _counts(self._ctl.get(total_key(day)))
        if written is not None:
            return written
        return sum(c for c, _ in table.values()), sum(v for _, v in table.values())

    def report(
        self, *, days: int = 7, top: int = 20, title: TitleLookup | None = None
    ) -> ClickReport:
        """The last ``days`` UTC days (1 to ``MAX_DAYS``) and the ``top`` products (most
        clicked first, then most viewed). Writes this process's counts first.

        :raise ValueError: ``days`` or ``top`` out of range.
        """
        if not 1 <= days <= MAX_DAYS:
            raise ValueError(f"days must be between 1 and {MAX_DAYS}")
        if top < 0:
            raise ValueError("top must not be negative")
        self.flush()
        window = last_days(self._clock(), days)
        tables = [self.day(day) for day in window]
        totals = [self.day_total(day, table) for day, table in zip(window, tables, strict=True)]
        per_product: dict[str, list[int]] = {}
        views: Counter[str] = Counter()
        for index, table in enumerate(tables):
            for product_id, (clicks, seen) in table.items():
                per_product.setdefault(product_id, [0] * days)[index] += clicks
                views[product_id] += seen
        order = sorted(per_product, key=lambda pid: (-sum(per_product[pid]), -views[pid], pid))
        ranked = order[:top]
        return ClickReport(
            days=window,
            clicks_per_day=tuple(clicks for clicks, _ in totals),
            views_per_day=tuple(views for _, views in totals),
            products=tuple(
                ProductClicks(
                    product_id=pid,
                    title=title(pid) if title is not None else None,
                    clicks_per_day=tuple(per_product[pid]),
                    views=views[pid],
                )
                for pid in ranked
            ),
            products_counted=len(per_product),
        )


class Clicks:
    """Clicks on boxes as views and commands use them (``catalog.clicks``): where one goes
    (``target``), counting one (``record``) and the numbers (``report``)."""

    def __init__(
        self,
        *,
        stores: CacheStores,
        entries: Entries,
        settings: SettingsProvider,
        client: ClientMaker,
        clock: Clock,
        flush: Callable[[], None],
        flush_interval: float,
        lock_ttl: float,
    ) -> None:
        self.log = ClickLog(stores.ctl, clock, flush_interval=flush_interval)
        self._targets = ClickTargets(
            entries=entries,
            data=stores.data,
            locks=FetchLocks(stores.ctl, clock, ttl=lock_ttl),
            client=client,
            clock=clock,
        )
        self._entries = entries
        self._settings = settings
        self._flush = flush

    def target(self, product_id: str) -> ClickTarget | None:
        """Where a click on a box of ``product_id`` goes; None when it is not a product this
        site has cached (``affsite.catalog.click_targets``). Not a view; never raises."""
        try:
            return self._targets.target(self._settings(), product_id)
        except Exception:  # a bug: the visitor still reaches the product (an AliExpress page)
            log.exception("could not find where a click on %s goes", product_id)
            return ClickTarget.product_page(product_id) if global_id(product_id) else None

    def record(self, product_id: str) -> None:
        """Count one click on ``product_id`` today (nothing about who clicked)."""
        self.log.record(product_id)

    def report(self, *, days: int = 7, top: int = 20) -> ClickReport:
        """The last ``days`` UTC days, the ``top`` products (see ``ClickLog.report``), after
        the catalog wrote what this process buffered (the index hands its views over then)."""
        self._flush()
        return self.log.report(days=days, top=top, title=self._title)

    def _title(self, product_id: str) -> str | None:
        entry = self._entries.read(namespace(self._settings()), product_id)
        title = entry.data.get("title") if entry is not None and entry.data else None
        return title if isinstance(title, str) else None
