"""What a page view, a gateway call, a top-up, a refresh selection or a site check costs does not
grow with the number of products: every statement they run reaches the products table through
an index narrower than the whole namespace, and none sorts what it read. Checked on SQLite's
own query plans (no timing)."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest

from affsite.catalog.entries import Entry
from affsite.catalog.index_sqlite import SqliteIndex
from affsite.clock import FakeClock
from affsite.settings import Settings

SETTINGS = Settings(cache_ttl=1000, stale_ttl=500)
PRODUCTS = [str(n) for n in range(1200)]


@pytest.fixture
def index(tmp_path: Path, clock: FakeClock) -> Iterator[SqliteIndex]:
    made = SqliteIndex(tmp_path / "index", clock)
    made.viewed("ns", PRODUCTS[::2], by_site=True)
    made.viewed("ns", PRODUCTS[1::2], by_site=False)
    made.flush(force=True)
    entry = Entry.make({"id": "x"}, now=clock(), settings=SETTINGS, factor=1.0)
    made.fetched("ns", dict.fromkeys(PRODUCTS[:900], entry))
    clock.advance(700)
    yield made
    made.close()


def _everyday_work(index: SqliteIndex, clock: FakeClock) -> None:
    window = {"active_since": clock() - 900, "site_since": clock() - 1500, "bucket": 1000 / 48}
    index.viewed("ns", ["1", "2", "new"], by_site=True)
    index.top_up("ns", exclude={"1"}, now=clock(), limit=19, **window)
    entry = Entry.make({"id": "x"}, now=clock(), settings=SETTINGS, factor=1.0)
    index.fetched("ns", {"1": entry, "other": entry})
    index.due("ns", before=clock() + 250, **window)
    index.for_site("ns", ["3", "4"], since=clock() - 1500)
    index.count("ns")


def test_everyday_statements_read_products_through_narrow_indexes(
    index: SqliteIndex, clock: FakeClock
) -> None:
    _everyday_work(index, clock)  # the first top-up numbers the buckets for its width
    clock.advance(120)  # past the sweep lag: tiers move too
    statements: list[str] = []
    index.database.read(lambda connection: connection.set_trace_callback(statements.append))
    _everyday_work(index, clock)
    index.database.read(lambda connection: connection.set_trace_callback(None))

    def plan_of(statement: str) -> list[str]:
        def explain(connection: sqlite3.Connection) -> list[str]:
            found = connection.execute(f"EXPLAIN QUERY PLAN {statement}").fetchall()
            return [str(step[3]) for step in found]

        return index.database.read(explain)

    plans = {
        statement: plan_of(statement)
        for statement in statements
        if statement.split()[0].upper() in ("SELECT", "UPDATE", "DELETE")
    }
    assert any("products_rank" in " ".join(plan) for plan in plans.values())
    for statement, plan in plans.items():
        for step in plan:
            assert "TEMP B-TREE" not in step, statement
            if " products " in f"{step} ":
                assert step.startswith("SEARCH"), (statement, plan)
                assert not step.endswith("(ns=?)"), (statement, plan)
