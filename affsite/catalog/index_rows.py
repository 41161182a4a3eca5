"""One product's row in the product index, the order renewals take, and views not yet written.

Every implementation of the index (``index_sqlite``, ``index_store``) keeps the same rows and
ranks them the same way; this module is what they share.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

# How long an index nobody writes is kept (a namespace no settings use any more).
KEEP_INDEX_SECONDS = 30 * 86_400.0
# The most products one namespace remembers; beyond it, those viewed longest ago are forgotten.
DEFAULT_MAX_IDS = 250_000

RankKey = tuple[bool, float, int, int, str]


@dataclass(frozen=True, kw_only=True)
class IndexRow:
    product_id: str
    fresh_until: float = 0.0  # 0: never cached successfully
    stale_until: float = 0.0
    views: int = 0  # since the last fetch
    total_views: int = 0
    last_view: float = 0.0
    negative: bool = False
    fetched_at: float = 0.0
    site_view: float = 0.0  # last time the site itself asked for it; 0: never

    def half_life(self) -> float:
        """When half the entry's freshness is used up (0 for an id never cached)."""
        return half_life(self.fetched_at, self.fresh_until)


def half_life(fetched_at: float, fresh_until: float) -> float:
    """When half of an entry's freshness is used up; 0 for an id never cached."""
    return (fetched_at + fresh_until) / 2 if fresh_until else 0.0


def bucket_width(bucket: float) -> float:
    """The width of the expiry buckets ``bucket`` asks for (at least a second)."""
    return max(1.0, bucket)


def bucket_of(fresh_until: float, width: float) -> int:
    """Which expiry bucket ``fresh_until`` falls in: entries in one bucket expire about
    together (the same value as ``fresh_until // width``, as an integer).

    >>> bucket_of(3_599.0, 1_800.0), bucket_of(3_600.0, 1_800.0)
    (1, 2)
    """
    return int(fresh_until // width)


def rank_key(row: IndexRow, width: float, site_since: float) -> RankKey:
    """Where ``row`` comes in the renewal order: the site's own first (asked for since
    ``site_since``); then closest to expiry first; among those expiring about together (one
    bucket of ``width`` seconds), most viewed since the last fetch first, then most viewed
    ever, then by id so the order is the same everywhere.
    """
    return (
        row.site_view < site_since,
        row.fresh_until // width,
        -row.views,
        -row.total_views,
        row.product_id,
    )


def ranked(rows: Iterable[IndexRow], bucket: float, site_since: float) -> list[IndexRow]:
    """``rows`` in renewal order (see ``rank_key``)."""
    width = bucket_width(bucket)
    return sorted(rows, key=lambda row: rank_key(row, width, site_since))


@dataclass
class ViewBatch:
    """Views counted in memory since the last flush, for one namespace."""

    views: dict[str, int] = field(default_factory=dict)
    last_view: dict[str, float] = field(default_factory=dict)
    site_view: dict[str, float] = field(default_factory=dict)

    def add(self, product_id: str, now: float, *, by_site: bool) -> None:
        self.views[product_id] = self.views.get(product_id, 0) + 1
        self.last_view[product_id] = now
        if by_site:
            self.site_view[product_id] = now

    def merge(self, other: ViewBatch) -> None:
        """Add ``other``'s views (a batch that could not be written) to this one."""
        for product_id, count in other.views.items():
            self.views[product_id] = self.views.get(product_id, 0) + count
        for mine, theirs in ((self.last_view, other.last_view), (self.site_view, other.site_view)):
            for product_id, moment in theirs.items():
                mine[product_id] = max(mine.get(product_id, 0.0), moment)
