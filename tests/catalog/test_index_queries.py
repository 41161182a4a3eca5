"""Choosing top-ups and renewals through the SQLite index's indexes gives exactly what ranking
every row gives (the JSON index's way): the same ids, in the same order, for the same history.
"""

from __future__ import annotations

import contextlib
import random
import sqlite3
from dataclasses import dataclass
from pathlib import Path

import pytest

from affsite.cache import MemoryStore
from affsite.catalog.entries import Entry
from affsite.catalog.index_queries import RENEW_CAP, TopUp, select_top_up
from affsite.catalog.index_spaces import load_space
from affsite.catalog.index_sqlite import SqliteIndex
from affsite.catalog.index_store import StoreIndex
from affsite.clock import FakeClock
from affsite.settings import Settings

SETTINGS = Settings(cache_ttl=1000, stale_ttl=500, negative_ttl=250)
PRODUCTS = [str(1005000000 + n) for n in range(4 * RENEW_CAP)]


@dataclass(frozen=True)
class Window:
    active_since: float
    site_since: float
    bucket: float


def _history(rng: random.Random, clock: FakeClock, indexes: list[StoreIndex | SqliteIndex]) -> None:
    """One random step: views (the site's or public), a gateway call, or time passing."""
    roll = rng.random()
    if roll < 0.45:
        ids = rng.sample(PRODUCTS, rng.randint(1, 80))
        by_site = rng.random() < 0.6
        for index in indexes:
            index.viewed("ns", ids, by_site=by_site)
    elif roll < 0.75:
        data = None if rng.random() < 0.1 else {"id": "x"}
        factor = rng.uniform(0.9, 1.1)
        entry = Entry.make(data, now=clock(), settings=SETTINGS, factor=factor)
        batch = dict.fromkeys(rng.sample(PRODUCTS, rng.randint(1, 60)), entry)
        for index in indexes:
            index.fetched("ns", batch)
    else:
        clock.advance(rng.choice([1.0, 30.0, 120.0, 400.0]))


@pytest.mark.parametrize("seed", range(5))
def test_top_up_and_due_choose_what_ranking_every_row_chooses(seed: int, tmp_path: Path) -> None:
    rng = random.Random(seed)
    clock = FakeClock()
    every_row = StoreIndex(MemoryStore(clock=clock), clock, flush_interval=30)
    indexed = SqliteIndex(tmp_path / "index", clock, flush_interval=30)
    try:
        for _ in range(120):
            _history(rng, clock, [every_row, indexed])
            now = clock()
            window = Window(
                active_since=now - rng.choice([100.0, 900.0, 1500.0, now]),
                site_since=now - rng.choice([0.0, 300.0, 1500.0, now]),
                bucket=rng.choice([1.0, 20.0, 1000 / 48]),
            )
            exclude = set(rng.sample(PRODUCTS, rng.randint(0, 30)))
            asked_at = now - rng.choice([0.0, 200.0])
            limit = rng.choice([1, 7, 40, 3 * RENEW_CAP])
            for index in (indexed, every_row):
                index.flush(force=True)  # the same rows written in both
            chosen = [
                index.top_up(
                    "ns",
                    exclude=exclude,
                    now=asked_at,
                    active_since=window.active_since,
                    site_since=window.site_since,
                    bucket=window.bucket,
                    limit=limit,
                )
                for index in (indexed, every_row)
            ]
            assert chosen[0] == chosen[1]
            _check_unsettled(rng, indexed, every_row, now, limit)
            before = now + rng.choice([0.0, 250.0, 1000.0])
            due = [
                index.due(
                    "ns",
                    before=before,
                    active_since=window.active_since,
                    site_since=window.site_since,
                    bucket=window.bucket,
                )
                for index in (indexed, every_row)
            ]
            assert due[0] == due[1]
        assert indexed.rows("ns") == every_row.rows("ns")
        assert indexed.count("ns") == len(every_row.rows("ns"))
    finally:
        indexed.close()


def _check_unsettled(
    rng: random.Random, indexed: SqliteIndex, every_row: StoreIndex, now: float, limit: int
) -> None:
    """Asked with windows the tiers were not moved for (as when another worker moved them
    a moment before), the few rows filed by other windows are still found."""
    query = TopUp(
        exclude=(),
        now=now,
        active_since=now - rng.choice([50.0, 700.0, 2000.0]),
        site_since=now - rng.choice([10.0, 400.0, 1200.0]),
        limit=limit,
    )
    with contextlib.closing(sqlite3.connect(indexed.path)) as connection:
        space = load_space(connection, "ns")
        chosen = select_top_up(connection, "ns", query)
    width = space.width if space is not None else 1.0
    expected = every_row.top_up(
        "ns",
        exclude=(),
        now=now,
        active_since=query.active_since,
        site_since=query.site_since,
        bucket=width,
        limit=limit,
    )
    assert chosen == expected


def test_a_long_backlog_is_read_in_rank_order_not_sorted_whole(
    tmp_path: Path, clock: FakeClock
) -> None:
    # More rows past half their freshness than RENEW_CAP: the walk in index order must
    # still put the soonest-expiring, most viewed first.
    index = SqliteIndex(tmp_path / "index", clock)
    try:
        for n, pid in enumerate(PRODUCTS):
            entry = Entry.make({"id": pid}, now=clock(), settings=SETTINGS, factor=1.0)
            index.fetched("ns", {pid: entry})
            index.viewed("ns", [pid] * (n % 5 + 1), by_site=True)
            clock.advance(1.0)
        index.flush(force=True)
        clock.advance(SETTINGS.cache_ttl)
        top = index.top_up(
            "ns",
            exclude=(),
            now=clock(),
            active_since=0.0,
            site_since=0.0,
            bucket=1000 / 48,
            limit=3,
        )
        # The first bucket (20.8 s) holds the first 21 products; most viewed (5 views) first.
        assert top == [PRODUCTS[4], PRODUCTS[9], PRODUCTS[14]]
    finally:
        index.close()
