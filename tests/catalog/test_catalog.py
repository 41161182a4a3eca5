"""The catalog against the in-process sandbox gateway, with fake time.

Every test counts the gateway calls the sandbox received: that number is what the daily quota
pays for.
"""

from __future__ import annotations

import dataclasses
import errno
import math
import sqlite3
from pathlib import Path

import diskcache
import pytest

from affsite.aliexpress.sandbox import Sandbox, SandboxCatalog
from affsite.cache import open_stores
from affsite.catalog import (
    FALLBACK,
    HIT,
    MISS,
    NEGATIVE,
    STALE,
    Catalog,
    ProductAnswer,
    aggregate_status,
)
from affsite.clock import FakeClock

from .conftest import DETAIL, MakeCatalog
from .helpers import SettingsBox

DAY = 86_400


def statuses(answers: list[ProductAnswer]) -> set[str]:
    return {a.status for a in answers}


def asked_ids(sandbox: Sandbox, index: int = -1) -> list[str]:
    """The product ids of one productdetail call the sandbox received."""
    calls = [c for c in sandbox.calls_snapshot() if c.method == DETAIL]
    return calls[index].params["product_ids"].split(",")


# --- batching ------------------------------------------------------------------------------


@pytest.mark.parametrize("count", [1, 20, 21, 45])
def test_n_cold_ids_cost_ceil_n_over_batch_calls_then_none(
    catalog: Catalog, sandbox: Sandbox, count: int
) -> None:
    ids = sandbox.catalog.ids()[:count]
    first = catalog.products(ids)
    assert sandbox.call_count(DETAIL) == math.ceil(count / 20)
    assert statuses(first) <= {MISS, NEGATIVE}
    assert [a.id for a in first] == ids

    second = catalog.products(ids)
    assert sandbox.call_count(DETAIL) == math.ceil(count / 20)  # a warm page costs nothing
    assert statuses(second) <= {HIT, NEGATIVE}
    assert [a.product for a in second] == [a.product for a in first]


def test_answers_come_in_the_order_asked_with_duplicates_and_bad_ids(
    catalog: Catalog, promotable: list[str]
) -> None:
    a, b = promotable[:2]
    answers = catalog.products(["not-an-id", b, a, b, f"https://www.aliexpress.com/item/{a}.html"])
    assert [x.status for x in answers[:4]] == [FALLBACK, MISS, MISS, MISS]
    assert answers[0].reason == "invalid_id"
    assert answers[0].to_json() == {"id": "not-an-id", "available": False, "reason": "invalid_id"}
    assert [x.id for x in answers[1:4]] == [b, a, b]
    assert answers[4].status == FALLBACK  # the catalog takes ids; URLs are the resolver's job


def test_a_partial_batch_is_topped_up_with_ids_closest_to_expiry_most_viewed_first(
    make_catalog: MakeCatalog,
    sandbox: Sandbox,
    settings: SettingsBox,
    clock: FakeClock,
    promotable: list[str],
) -> None:
    settings.save(batch_size=5)
    catalog = make_catalog()
    early, later, new = promotable[:5], promotable[5:10], promotable[10:12]
    catalog.products(early)
    clock.advance(0.2 * DAY)
    catalog.products(later)
    for _ in range(3):
        catalog.products([early[3]])
    catalog.products([early[1]])
    clock.advance(0.5 * DAY)  # "early" now expires soonest

    catalog.products(new)
    call = asked_ids(sandbox)
    assert len(call) == 5, "the call carries a full batch"
    assert call[:2] == new
    assert call[2:4] == [early[3], early[1]], "most viewed first"
    assert set(call[4:]) <= set(early)
    assert sandbox.call_count(DETAIL) == 3


# --- stale-while-revalidate and stale-if-error ------------------------------------------------


def test_expired_entries_are_served_at_once_and_refreshed_once_behind(
    make_catalog: MakeCatalog, sandbox: Sandbox, clock: FakeClock, promotable: list[str]
) -> None:
    queued: list[tuple[list[str], object]] = []

    class QueueingRefresher:
        def submit(self, group: str, ids: list[str], job: object) -> bool:
            queued.append((list(ids), job))
            return True

        def close(self, timeout: float = 5.0) -> None:
            return None

    catalog = make_catalog(refresher=QueueingRefresher())
    ids = promotable[:3]
    fetched = catalog.products(ids)
    clock.advance(1.2 * DAY)

    stale = catalog.products(ids)
    assert statuses(stale) == {STALE}
    assert [a.product for a in stale] == [a.product for a in fetched]
    assert stale[0].fetched_at == fetched[0].fetched_at
    assert sandbox.call_count(DETAIL) == 1, "the visitor did not wait for the gateway"
    assert len(queued) == 1 and queued[0][0] == ids

    job_ids, job = queued[0]
    job(job_ids)  # type: ignore[operator]
    assert sandbox.call_count(DETAIL) == 2
    renewed = catalog.products(ids)
    assert statuses(renewed) == {HIT}
    assert renewed[0].fetched_at == clock()


def test_stale_is_served_while_the_gateway_is_down_until_its_limit(
    catalog: Catalog,
    sandbox: Sandbox,
    settings: SettingsBox,
    clock: FakeClock,
    promotable: list[str],
) -> None:
    ids = promotable[:2]
    catalog.products(ids)
    sandbox.inject("server_error", status=503)
    clock.advance(1.5 * DAY)

    for _ in range(5):
        answers = catalog.products(ids)
        assert statuses(answers) == {STALE}
        assert all(a.available for a in answers)
    # One refresh tried (with one retry); then the failure is remembered for a minute.
    assert sandbox.call_count(DETAIL) == 1 + 2

    clock.advance(settings.value.stale_ttl)  # past the stale limit
    gone = catalog.products(ids)
    assert statuses(gone) == {FALLBACK}
    assert {a.reason for a in gone} == {"gateway_down"}
    assert gone[0].to_json() == {"id": ids[0], "available": False, "reason": "gateway_down"}


def test_stale_is_served_when_the_quota_is_spent(
    catalog: Catalog,
    sandbox: Sandbox,
    settings: SettingsBox,
    clock: FakeClock,
    promotable: list[str],
) -> None:
    ids, cold = promotable[:3], promotable[3]
    catalog.products(ids)
    clock.advance(1.2 * DAY)
    limit = settings.value.daily_quota - settings.value.admin_reserve
    catalog.gate.quota.set_used(limit)
    calls = sandbox.call_count()

    assert statuses(catalog.products(ids)) == {STALE}
    fallback = catalog.product(cold)
    assert (fallback.status, fallback.reason) == (FALLBACK, "quota_exhausted")
    assert sandbox.call_count() == calls
    assert catalog.quota().used == limit


# --- negative answers, errors ------------------------------------------------------------------


def test_not_promotable_answers_are_cached_for_the_negative_ttl(
    catalog: Catalog, sandbox: Sandbox, settings: SettingsBox, clock: FakeClock
) -> None:
    unknown = "1005009999999999"
    not_promotable = sandbox.catalog.not_promotable_ids()[0]
    for _ in range(2):
        answers = catalog.products([unknown, not_promotable])
        assert [(a.status, a.reason) for a in answers] == [(NEGATIVE, "not_promotable")] * 2
    assert sandbox.call_count(DETAIL) == 1

    clock.advance(settings.value.negative_ttl * 1.2)
    catalog.products([unknown])  # served as known-negative, re-checked behind
    assert sandbox.call_count(DETAIL) == 2


def test_an_error_is_remembered_for_a_minute_then_retried(
    catalog: Catalog, sandbox: Sandbox, clock: FakeClock, promotable: list[str]
) -> None:
    sandbox.inject("server_error", status=500, times=2)  # the attempt and its retry
    first = catalog.product(promotable[0])
    assert (first.status, first.reason) == (FALLBACK, "gateway_down")
    assert sandbox.call_count(DETAIL) == 2

    clock.advance(30)
    assert catalog.product(promotable[0]).status == FALLBACK
    assert sandbox.call_count(DETAIL) == 2, "no new call within the minute"

    clock.advance(31)
    assert catalog.product(promotable[0]).status == MISS
    assert sandbox.call_count(DETAIL) == 3


def test_repeated_failures_open_the_breaker_for_every_product(
    make_catalog: MakeCatalog, sandbox: Sandbox, clock: FakeClock, promotable: list[str]
) -> None:
    catalog = make_catalog(breaker_threshold=2)
    sandbox.inject("server_error", status=502)
    assert catalog.product(promotable[0]).reason == "gateway_down"
    made = sandbox.call_count(DETAIL)
    assert catalog.product(promotable[1]).reason == "gateway_down"
    assert sandbox.call_count(DETAIL) == made, "an open breaker makes no call"
    errors = catalog.stats().recent_errors
    assert errors and "502" in errors[0]["message"]

    sandbox.clear_faults()
    clock.advance(61)  # half-open: one probe
    assert catalog.product(promotable[1]).status == MISS
    assert catalog.stats().breaker.state == "closed"


def test_a_gateway_ban_stops_calls_and_pages_get_a_reason(
    catalog: Catalog, sandbox: Sandbox, clock: FakeClock, promotable: list[str]
) -> None:
    sandbox.inject("rate_limit", ban_seconds=300)
    first = catalog.product(promotable[0])
    assert (first.status, first.reason) == (FALLBACK, "banned")
    made = sandbox.call_count(DETAIL)
    assert catalog.product(promotable[1]).reason == "banned"
    assert sandbox.call_count(DETAIL) == made
    clock.advance(301)
    assert catalog.product(promotable[1]).status == MISS


# --- settings ----------------------------------------------------------------------------------


def test_saving_a_new_tracking_id_starts_a_fresh_namespace(
    catalog: Catalog, sandbox: Sandbox, settings: SettingsBox, promotable: list[str]
) -> None:
    ids = promotable[:3]
    before = catalog.products(ids)
    settings.save(tracking_id="site_two")
    after = catalog.products(ids)
    assert statuses(after) == {MISS}
    assert sandbox.call_count(DETAIL) == 2
    calls = [c for c in sandbox.calls_snapshot() if c.method == DETAIL]
    assert calls[-1].params["tracking_id"] == "site_two"
    for old, new in zip(before, after, strict=True):
        assert old.product and new.product and new.product.promotion_link
        assert new.product.promotion_link != old.product.promotion_link
    assert statuses(catalog.products(ids)) == {HIT}


@pytest.mark.parametrize(
    "change",
    [{"country": "DE"}, {"currency": "EUR"}, {"language": "FR"}],
)
def test_any_setting_that_changes_the_answer_changes_the_namespace(
    catalog: Catalog,
    sandbox: Sandbox,
    settings: SettingsBox,
    promotable: list[str],
    change: dict[str, str],
) -> None:
    catalog.products(promotable[:2])
    settings.save(**change)
    assert statuses(catalog.products(promotable[:2])) == {MISS}


# --- a misbehaving disk ---------------------------------------------------------------------


@pytest.mark.parametrize(
    "failure",
    [sqlite3.OperationalError("database or disk is full"), OSError(errno.ENOSPC, "No space")],
    ids=["sqlite-full", "enospc"],
)
def test_a_full_disk_means_fetching_without_caching_never_an_error(
    catalog: Catalog,
    sandbox: Sandbox,
    monkeypatch: pytest.MonkeyPatch,
    promotable: list[str],
    failure: Exception,
) -> None:
    def refuse(*args: object, **kwargs: object) -> bool:
        raise failure

    monkeypatch.setattr(diskcache.Cache, "set", refuse)
    for expected_calls in (1, 2):
        answers = catalog.products(promotable[:3])
        assert statuses(answers) == {MISS}
        assert all(a.available for a in answers)
        assert sandbox.call_count(DETAIL) == expected_calls
    stats = catalog.stats()
    assert stats.cache_state == "degraded"
    assert "disk is full" in stats.cache_summary
    assert stats.quota.used == 2, "the quota is still counted (in memory)"


def test_a_corrupt_cache_database_is_replaced_at_start(
    make_catalog: MakeCatalog, cache_dir: Path, sandbox: Sandbox, promotable: list[str]
) -> None:
    shard = cache_dir / "data" / "000"
    shard.mkdir(parents=True)
    (shard / "cache.db").write_bytes(b"\x00garbage" * 4096)
    catalog = make_catalog()
    assert catalog.product(promotable[0]).status == MISS
    assert catalog.product(promotable[0]).status == HIT
    assert list(cache_dir.glob("data.corrupt-*"))


def test_a_cache_that_cannot_be_opened_still_answers(
    make_catalog: MakeCatalog, cache_dir: Path, sandbox: Sandbox, promotable: list[str]
) -> None:
    def cannot_open(path: Path) -> object:
        raise sqlite3.OperationalError("database or disk is full")

    stores = open_stores(cache_dir, data_opener=cannot_open, control_opener=cannot_open)
    catalog = make_catalog(stores=stores)
    assert catalog.product(promotable[0]).status == MISS
    assert catalog.product(promotable[0]).status == MISS
    assert "Caching is off" in catalog.stats().cache_summary


# --- observability -------------------------------------------------------------------------


def test_counters_and_products_that_stopped_being_promotable(
    catalog: Catalog, sandbox: Sandbox, clock: FakeClock, promotable: list[str]
) -> None:
    gone = promotable[0]
    catalog.products([gone, promotable[1]])
    catalog.products([gone])
    clock.advance(1.2 * DAY)
    products = [
        dataclasses.replace(p, promotable=False) if p.global_id == gone else p
        for p in sandbox.catalog.products
    ]
    sandbox.catalog = SandboxCatalog(products, sandbox.catalog.categories)
    assert catalog.product(gone).status == STALE  # refreshed behind this answer
    assert catalog.product(gone).status == NEGATIVE

    stats = catalog.stats()
    assert stats.counters[MISS] == 2 and stats.counters[HIT] == 1
    assert stats.counters[STALE] == 1 and stats.counters[NEGATIVE] == 1
    assert stats.hit_ratio == pytest.approx(3 / 5)
    assert [item["id"] for item in stats.stopped_promotable] == [gone]
    assert stats.stopped_promotable[0]["title"]


def test_x_cache_shows_the_worst_status() -> None:
    def answer(status: str) -> ProductAnswer:
        return ProductAnswer("1", None, status)

    assert aggregate_status([]) == HIT
    assert aggregate_status([answer(HIT), answer(NEGATIVE)]) == NEGATIVE
    assert aggregate_status([answer(HIT), answer(MISS), answer(NEGATIVE)]) == MISS
    assert aggregate_status([answer(MISS), answer(STALE)]) == STALE
    assert aggregate_status([answer(STALE), answer(FALLBACK), answer(HIT)]) == FALLBACK


def test_the_catalog_never_raises_even_when_a_dependency_does(
    make_catalog: MakeCatalog, promotable: list[str]
) -> None:
    def broken_settings() -> object:
        raise RuntimeError("settings store exploded")

    catalog = make_catalog(settings=broken_settings)
    answers = catalog.products(promotable[:2])
    assert [(a.status, a.reason) for a in answers] == [(FALLBACK, "unavailable")] * 2


# --- cron refresh and admin actions -----------------------------------------------------------


def test_refresh_renews_the_soonest_expiring_within_a_budget(
    catalog: Catalog, sandbox: Sandbox, clock: FakeClock, promotable: list[str]
) -> None:
    first, second = promotable[:20], promotable[20:40]
    catalog.products(first)
    clock.advance(0.3 * DAY)
    catalog.products(second)
    clock.advance(0.6 * DAY)  # "first" is close to expiry, "second" is not yet due
    calls = sandbox.call_count(DETAIL)

    report = catalog.refresh(budget=5)
    assert report.calls == 1 and sandbox.call_count(DETAIL) == calls + 1
    assert set(report.ids) == set(first)
    assert report.refreshed + report.not_promotable == 20
    assert catalog.refresh(budget=5).calls == 0, "nothing else is due"


def test_admin_actions_may_use_the_reserve_pages_may_not(
    catalog: Catalog, settings: SettingsBox, promotable: list[str]
) -> None:
    from affsite.gateway import check_connection

    catalog.gate.quota.set_used(settings.value.daily_quota - settings.value.admin_reserve)
    assert catalog.product(promotable[0]).reason == "quota_exhausted"
    with catalog.client("admin") as client:
        assert check_connection(client).ok
    with catalog.client("view") as client:
        result = check_connection(client)
    assert not result.ok


def test_a_spent_quota_comes_back_at_beijing_midnight(
    catalog: Catalog,
    sandbox: Sandbox,
    settings: SettingsBox,
    clock: FakeClock,
    promotable: list[str],
) -> None:
    from datetime import UTC, datetime

    clock.now = datetime(2024, 6, 1, 15, 59, 58, tzinfo=UTC).timestamp()  # 23:59:58 Beijing
    catalog.gate.quota.set_used(settings.value.daily_quota - settings.value.admin_reserve)
    refused = catalog.product(promotable[0])
    assert (refused.status, refused.reason) == (FALLBACK, "quota_exhausted")
    assert sandbox.call_count() == 0

    clock.advance(3)  # 16:00:01 UTC: a new quota day in Beijing
    assert catalog.product(promotable[0]).status == MISS
    assert catalog.quota().used == 1


def test_a_worker_that_died_holding_the_fetch_lock_delays_others_only_boundedly(
    catalog: Catalog,
    sandbox: Sandbox,
    clock: FakeClock,
    settings: SettingsBox,
    promotable: list[str],
) -> None:
    from affsite.freshness import lock_key, namespace

    ns = namespace(settings.value)
    dead = {"owner": "killed-worker", "until": clock() + 2}
    catalog.stores.ctl.set(lock_key(ns, promotable[0]), dead)
    catalog.stores.ctl.set(lock_key(ns, promotable[1]), {**dead, "until": clock() + 3600})

    started = clock()
    first, second = catalog.products(promotable[:2])
    # The first lock expired while waiting: taken over and fetched.
    assert first.status == MISS
    # The second is still locked when the wait ends: a fallback, not a hang.
    assert (second.status, second.reason) == (FALLBACK, "unavailable")
    assert clock() - started <= 5 + 1
    assert sandbox.call_count(DETAIL) == 1


def test_a_page_view_never_waits_long_for_the_gateway(catalog: Catalog) -> None:
    # A visitor's page gets a few seconds per gateway call, retries included; commands and
    # admin actions may wait longer for a complete answer.
    deadlines = {}
    for purpose in ("view", "admin", "cli"):
        with catalog.client(purpose) as client:
            deadlines[purpose] = client.deadline
    assert deadlines["view"] <= 4.0
    assert deadlines["view"] < deadlines["admin"] <= deadlines["cli"]
