"""Fetching: batches with top-up, failures remembered, single-flight across threads.

The gateway is the counting sandbox; every test counts the calls it received, since that
number is what the daily quota pays for. Time is the injected FakeClock.
"""

from __future__ import annotations

import math
import threading
from pathlib import Path

import pytest

from affsite.aliexpress.sandbox import Sandbox
from affsite.cache import open_stores
from affsite.catalog import Catalog, ProductAnswer, Purpose, Reason, Status
from affsite.catalog.answers import Failure
from affsite.catalog.entries import lock_key, namespace
from affsite.catalog.fetching import HANDOFF_SECONDS, MAX_HANDOFF, HandOff
from affsite.clock import FakeClock

from .conftest import DETAIL, MakeCatalog
from .helpers import DAY, TRACKING_IDS, SettingsBox, statuses, transport_factory


def asked_ids(sandbox: Sandbox, index: int = -1) -> list[str]:
    """The product ids of one productdetail call the sandbox received."""
    calls = [c for c in sandbox.calls_snapshot() if c.method == DETAIL]
    return calls[index].params["product_ids"].split(",")


@pytest.mark.parametrize("count", [1, 20, 21, 45])
def test_n_cold_ids_cost_ceil_n_over_batch_calls_then_none(
    catalog: Catalog, sandbox: Sandbox, count: int
) -> None:
    ids = sandbox.catalog.ids()[:count]
    first = catalog.products(ids, purpose=Purpose.PAGE)
    assert sandbox.call_count(DETAIL) == math.ceil(count / 20)
    assert statuses(first) <= {Status.MISS, Status.NEGATIVE}
    assert [a.id for a in first] == ids

    second = catalog.products(ids, purpose=Purpose.PAGE)
    assert sandbox.call_count(DETAIL) == math.ceil(count / 20)  # a warm page costs nothing
    assert statuses(second) <= {Status.HIT, Status.NEGATIVE}
    assert [a.product for a in second] == [a.product for a in first]


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
    catalog.products(early, purpose=Purpose.PAGE)
    clock.advance(0.2 * DAY)
    catalog.products(later, purpose=Purpose.PAGE)
    for _ in range(3):
        catalog.products([early[3]], purpose=Purpose.PAGE)
    catalog.products([early[1]], purpose=Purpose.PAGE)
    clock.advance(0.5 * DAY)  # "early" now expires soonest

    catalog.products(new, purpose=Purpose.PAGE)
    call = asked_ids(sandbox)
    assert len(call) == 5, "the call carries a full batch"
    assert call[:2] == new
    assert call[2:4] == [early[3], early[1]], "most viewed first"
    assert set(call[4:]) <= set(early)
    assert sandbox.call_count(DETAIL) == 3


def test_an_error_is_remembered_for_a_minute_then_retried(
    catalog: Catalog, sandbox: Sandbox, clock: FakeClock, promotable: list[str]
) -> None:
    sandbox.inject("server_error", status=500, times=2)  # the attempt and its retry
    first = catalog.product(promotable[0], purpose=Purpose.PAGE)
    assert (first.status, first.reason) == (Status.FALLBACK, Reason.GATEWAY_DOWN)
    assert sandbox.call_count(DETAIL) == 2

    clock.advance(30)
    assert catalog.product(promotable[0], purpose=Purpose.PAGE).status == Status.FALLBACK
    assert sandbox.call_count(DETAIL) == 2, "no new call within the minute"

    clock.advance(31)
    assert catalog.product(promotable[0], purpose=Purpose.PAGE).status == Status.MISS
    assert sandbox.call_count(DETAIL) == 3


def test_repeated_failures_open_the_breaker_for_every_product(
    make_catalog: MakeCatalog, sandbox: Sandbox, clock: FakeClock, promotable: list[str]
) -> None:
    catalog = make_catalog(breaker_threshold=2)
    sandbox.inject("server_error", status=502)
    assert catalog.product(promotable[0], purpose=Purpose.PAGE).reason == Reason.GATEWAY_DOWN
    made = sandbox.call_count(DETAIL)
    assert catalog.product(promotable[1], purpose=Purpose.PAGE).reason == Reason.GATEWAY_DOWN
    assert sandbox.call_count(DETAIL) == made, "an open breaker makes no call"
    errors = catalog.stats().recent_errors
    assert errors and "502" in errors[0]["message"]

    sandbox.clear_faults()
    clock.advance(61)  # half-open: one probe
    assert catalog.product(promotable[1], purpose=Purpose.PAGE).status == Status.MISS
    assert catalog.stats().breaker.state == "closed"


def test_a_gateway_ban_stops_calls_and_pages_get_a_reason(
    catalog: Catalog, sandbox: Sandbox, clock: FakeClock, promotable: list[str]
) -> None:
    sandbox.inject("rate_limit", ban_seconds=300)
    first = catalog.product(promotable[0], purpose=Purpose.PAGE)
    assert (first.status, first.reason) == (Status.FALLBACK, Reason.BANNED)
    made = sandbox.call_count(DETAIL)
    assert catalog.product(promotable[1], purpose=Purpose.PAGE).reason == Reason.BANNED
    assert sandbox.call_count(DETAIL) == made
    clock.advance(301)
    assert catalog.product(promotable[1], purpose=Purpose.PAGE).status == Status.MISS


def test_a_worker_that_died_holding_the_fetch_lock_delays_others_only_boundedly(
    catalog: Catalog,
    sandbox: Sandbox,
    clock: FakeClock,
    settings: SettingsBox,
    promotable: list[str],
) -> None:
    ns = namespace(settings.value)
    dead = {"owner": "killed-worker", "until": clock() + 2}
    catalog.stores.ctl.set(lock_key(ns, promotable[0]), dead)
    catalog.stores.ctl.set(lock_key(ns, promotable[1]), {**dead, "until": clock() + 3600})

    started = clock()
    first, second = catalog.products(promotable[:2], purpose=Purpose.PAGE)
    # The first lock expired while waiting: taken over and fetched.
    assert first.status == Status.MISS
    # The second is still locked when the wait ends: a fallback, not a hang.
    assert (second.status, second.reason) == (Status.FALLBACK, Reason.UNAVAILABLE)
    assert clock() - started <= 5 + 1
    assert sandbox.call_count(DETAIL) == 1


def test_eight_threads_on_one_cold_page_make_one_call_per_batch(tmp_path: Path) -> None:
    sandbox = Sandbox(tracking_ids=TRACKING_IDS)
    sandbox.inject("slow", seconds=0.2)  # long enough for every thread to arrive meanwhile
    catalog = Catalog(
        settings=SettingsBox(rate_limit=1000.0),
        stores=open_stores(tmp_path / "cache"),
        client_factory=transport_factory(sandbox.transport()),
        poll_interval=0.01,
    )
    ids = sandbox.catalog.ids()[:45]
    barrier = threading.Barrier(8)
    results: list[list[ProductAnswer]] = []

    def render() -> None:
        barrier.wait(timeout=10)
        results.append(catalog.products(ids, purpose=Purpose.PAGE))

    threads = [threading.Thread(target=render) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    sandbox.clear_faults()
    catalog.close()

    assert len(results) == 8
    assert sandbox.call_count(DETAIL) == 3
    for answers in results:
        assert [a.id for a in answers] == ids
        assert {a.status for a in answers} <= {Status.MISS, Status.NEGATIVE, Status.HIT}


def test_a_batch_that_fails_unlocks_every_id_it_carried_and_remembers_only_the_asked(
    make_catalog: MakeCatalog,
    sandbox: Sandbox,
    settings: SettingsBox,
    clock: FakeClock,
    promotable: list[str],
) -> None:
    settings.save(batch_size=4)
    catalog = make_catalog()
    catalog.products(promotable[:3], purpose=Purpose.PAGE)
    clock.advance(0.7 * DAY)  # past half their freshness: top-up candidates
    sandbox.inject("server_error", status=500, times=2)  # the attempt and its retry

    failed = catalog.product(promotable[3], purpose=Purpose.PAGE)

    assert (failed.status, failed.reason) == (Status.FALLBACK, Reason.GATEWAY_DOWN)
    assert len(asked_ids(sandbox)) == 4, "the failed call carried a topped-up batch"
    ns = namespace(settings.value)
    assert all(catalog.stores.ctl.get(lock_key(ns, pid)) is None for pid in promotable[:4])
    # The ids that only topped the batch up keep their entries, fresh and without a memo.
    assert statuses(catalog.products(promotable[:3], purpose=Purpose.PAGE)) == {Status.HIT}


def test_results_handed_to_waiting_threads_are_few_and_short_lived() -> None:
    # Each result holds a product's whole data: a worker that fetched thousands of products
    # must not keep them all for its waiters.
    clock = FakeClock()
    handoff = HandOff(clock)
    outcome = Failure(reason=Reason.GATEWAY_DOWN)
    for n in range(MAX_HANDOFF + 50):
        handoff.put("ns", str(n), outcome)
    assert handoff.get("ns", "0") is None
    assert handoff.get("ns", str(MAX_HANDOFF + 49)) is outcome
    assert sum(handoff.get("ns", str(n)) is not None for n in range(MAX_HANDOFF + 50)) == (
        MAX_HANDOFF
    )
    clock.advance(HANDOFF_SECONDS + 1)
    handoff.put("ns", "late", outcome)
    assert handoff.get("ns", str(MAX_HANDOFF + 49)) is None
    assert handoff.get("ns", "late") is outcome


def test_a_product_refused_while_the_limits_are_unknown_shows_on_the_first_page_after(
    catalog: Catalog,
    sandbox: Sandbox,
    promotable: list[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # The control store alone fails (its disk, or Redis for a moment) while the data store
    # still takes writes: nothing about the refusal may outlive the cause.
    with monkeypatch.context() as failing:
        failing.setattr(catalog.stores.ctl, "not_shared_reason", lambda: "the disk is full (test)")
        refused = catalog.product(promotable[0], purpose=Purpose.PAGE)
        assert (refused.status, refused.reason) == (Status.FALLBACK, Reason.LIMITS_UNAVAILABLE)
        assert sandbox.call_count(DETAIL) == 0

    shown = catalog.product(promotable[0], purpose=Purpose.PAGE)
    assert (shown.status, shown.available) == (Status.MISS, True)
    assert sandbox.call_count(DETAIL) == 1
