"""What the catalog reports: answer counters, the event logs, and the admin dashboard that
shows them (quota, cache, errors, lost products).
"""

from __future__ import annotations

import dataclasses
import sqlite3

import diskcache
import pytest
from flask import Flask
from flask.testing import FlaskClient

from affsite.aliexpress.sandbox import Sandbox, SandboxCatalog
from affsite.cache import MemoryStore, StoreError
from affsite.catalog import Catalog, Purpose, Status
from affsite.catalog.stats import MAX_ERRORS, Counters, EventLog
from affsite.clock import FakeClock
from affsite.limits import QuotaExhausted
from affsite.web.auth import admin_password

PASSWORD = "correct horse battery staple"


def log_in(web_app: Flask) -> FlaskClient:
    admin_password(web_app).set(PASSWORD)
    client = web_app.test_client()
    assert client.post("/admin/login", data={"password": PASSWORD}).status_code == 303
    return client


@pytest.fixture
def admin(web_app: Flask) -> FlaskClient:
    return log_in(web_app)


def test_quota_cache_and_reset_time_are_shown(
    admin: FlaskClient, catalog: Catalog, clock: FakeClock, promotable: list[str]
) -> None:
    catalog.products(promotable[:3], purpose=Purpose.PAGE)
    catalog.products(promotable[:3], purpose=Purpose.PAGE)
    page = admin.get("/admin/").get_data(as_text=True)
    assert "1 of 5000 used" in page
    assert "4999 left: 4899 for pages, 100 kept for admin actions" in page
    assert "16:00 UTC" in page and "00:00 Beijing time" in page
    assert "3 entries" in page
    assert "Hit ratio 50.0%" in page
    assert "0 stale answers served" in page
    assert "Cache degraded" not in page


def test_recent_errors_and_products_that_stopped_being_promotable(
    web_app: Flask, catalog: Catalog, sandbox: Sandbox, clock: FakeClock
) -> None:
    hostile = sandbox.catalog.hostile_ids()[0]
    catalog.products([hostile], purpose=Purpose.PAGE)
    clock.advance(1.2 * 86_400)
    products = [
        dataclasses.replace(p, promotable=False) if p.global_id == hostile else p
        for p in sandbox.catalog.products
    ]
    sandbox.catalog = SandboxCatalog(products, sandbox.catalog.categories)
    catalog.products([hostile], purpose=Purpose.PAGE)  # stale answer; the refresh finds it gone
    sandbox.inject("server_error", status=502)
    catalog.products(sandbox.catalog.promotable_ids()[:1], purpose=Purpose.PAGE)

    page = log_in(web_app).get("/admin/").get_data(as_text=True)
    gone = page.split('id="stopped-promotable"', 1)[1].split("</ul>", 1)[0]
    assert hostile in gone
    assert "<script" not in gone.lower() and "&lt;" in gone, "titles are escaped"
    errors = page.split('id="recent-errors"', 1)[1].split("</ul>", 1)[0]
    assert "AliExpress answered HTTP 502" in errors
    assert "try again in a few minutes" in errors


def test_a_degraded_cache_is_announced(
    admin: FlaskClient,
    catalog: Catalog,
    monkeypatch: pytest.MonkeyPatch,
    promotable: list[str],
) -> None:
    def refuse(*args: object, **kwargs: object) -> bool:
        raise sqlite3.OperationalError("database or disk is full")

    monkeypatch.setattr(diskcache.Cache, "set", refuse)
    catalog.products(promotable[:1], purpose=Purpose.PAGE)
    page = admin.get("/admin/").get_data(as_text=True)
    assert 'id="cache-degraded"' in page
    assert "the disk is full" in page


# --- counters and event logs --------------------------------------------------------------


def test_counters_and_products_that_stopped_being_promotable(
    catalog: Catalog, sandbox: Sandbox, clock: FakeClock, promotable: list[str]
) -> None:
    gone = promotable[0]
    catalog.products([gone, promotable[1]], purpose=Purpose.PAGE)
    catalog.products([gone], purpose=Purpose.PAGE)
    clock.advance(1.2 * 86_400)
    products = [
        dataclasses.replace(p, promotable=False) if p.global_id == gone else p
        for p in sandbox.catalog.products
    ]
    sandbox.catalog = SandboxCatalog(products, sandbox.catalog.categories)
    assert (
        catalog.product(gone, purpose=Purpose.PAGE).status == Status.STALE
    )  # refreshed behind this answer
    assert catalog.product(gone, purpose=Purpose.PAGE).status == Status.NEGATIVE

    stats = catalog.stats()
    assert stats.counters[Status.MISS] == 2 and stats.counters[Status.HIT] == 1
    assert stats.counters[Status.STALE] == 1 and stats.counters[Status.NEGATIVE] == 1
    assert stats.hit_ratio == pytest.approx(3 / 5)
    assert [item["id"] for item in stats.stopped_promotable] == [gone]
    assert stats.stopped_promotable[0]["title"]


def test_counters_are_buffered_and_kept_when_a_write_fails(clock: FakeClock) -> None:
    ctl = MemoryStore(clock=clock)
    counters = Counters(ctl)
    counters.add([Status.HIT, Status.HIT, Status.STALE])
    assert ctl.get("stats:HIT") is None, "nothing is written per answer"

    def broken(operation: object) -> None:
        raise StoreError("disk full")

    original = ctl.atomic
    ctl.atomic = broken  # type: ignore[method-assign, assignment]
    counters.flush()
    ctl.atomic = original  # type: ignore[method-assign]
    assert counters.totals() == {
        Status.HIT: 2,
        Status.NEGATIVE: 0,
        Status.MISS: 0,
        Status.STALE: 1,
        Status.FALLBACK: 0,
    }
    assert ctl.get("stats:HIT") == 2


def test_the_error_log_keeps_the_last_few_newest_first(clock: FakeClock) -> None:
    events = EventLog(MemoryStore(clock=clock))
    for number in range(MAX_ERRORS + 3):
        events.error("productdetail.get", QuotaExhausted(f"spent {number}"), at=number)
    errors = events.errors()
    assert len(errors) == MAX_ERRORS
    assert errors[0] == {
        "at": MAX_ERRORS + 2,
        "kind": "quota_exhausted",
        "method": "productdetail.get",
        "message": f"spent {MAX_ERRORS + 2}",
        "fix": QuotaExhausted.fix,
    }


def test_stats_as_json_name_every_status(catalog: Catalog, promotable: list[str]) -> None:
    catalog.products(promotable[:2], purpose=Purpose.PAGE)
    data = catalog.stats().to_json()
    assert data["answers"] == {"HIT": 0, "NEGATIVE": 0, "MISS": 2, "STALE": 0, "FALLBACK": 0}
    assert (data["hit_ratio"], data["entries"], data["indexed_products"]) == (0.0, 2, 2)
    assert data["new_products"] == {"used": 0, "limit": 500}


# --- the last scheduled refresh ------------------------------------------------------------


def test_the_dashboard_says_when_the_scheduled_refresh_last_ran_and_when_it_is_late(
    web_app: Flask, catalog: Catalog, clock: FakeClock, promotable: list[str]
) -> None:
    def tile() -> str:  # signed in afresh: the clock moves past a session's lifetime here
        page = log_in(web_app).get("/admin/").get_data(as_text=True)
        start = page.index('id="scheduled-refresh"')
        return page[start : page.index("</section>", start)]

    assert "Never run" in tile()
    assert catalog.stats().to_json()["last_refresh"] is None

    catalog.products(promotable[:20], purpose=Purpose.PAGE)
    clock.advance(0.95 * 86_400)  # the 20 products are close to expiry
    catalog.refresh(budget=3)
    clock.advance(600)
    shown = tile()
    assert "10 min ago" in shown and "1 gateway call(s): 20 product(s)" in shown
    assert "Late" not in shown
    last = catalog.stats().to_json()["last_refresh"]
    assert (last["calls"], last["refreshed"] + last["not_promotable"]) == (1, 20)
    assert (last["ago"], last["late"]) == (600, False)

    clock.advance(2 * 3600)  # cron stopped running it
    shown = tile()
    assert "Late" in shown and "check that the cron job still runs" in shown
    last = catalog.stats().last_refresh
    assert last is not None and last["late"]


def test_a_damaged_refresh_record_shows_only_numbers_and_a_reason_word(clock: FakeClock) -> None:
    store = MemoryStore("ctl")
    events = EventLog(store)
    assert events.last_refresh(clock()) is None
    store.set("log:last_refresh", {"at": "yesterday"})
    assert events.last_refresh(clock()) is None
    store.set(
        "log:last_refresh",
        {
            "at": clock() - 60,
            "calls": "<script>",
            "refreshed": -3,
            "lists": ["x"],
            "stopped": "<b>quota</b>",
        },
    )
    assert events.last_refresh(clock()) == {
        "due": 0,
        "calls": 0,
        "refreshed": 0,
        "not_promotable": 0,
        "failed": 0,
        "lists": {"due": 0, "renewed": 0, "failed": 0},
        "stopped": None,
        "at": clock() - 60,
        "ago": 60.0,
        "late": False,
    }
