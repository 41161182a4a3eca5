"""Renewing entries: stale-while-revalidate, stale-if-error, and the cron refresh.

The gateway is the counting sandbox; time is the injected FakeClock.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from affsite.aliexpress import AliExpressClient, HotProductQuery, ProductQuery
from affsite.aliexpress.sandbox import Sandbox
from affsite.catalog import Catalog, Purpose, Reason, Status
from affsite.catalog.background import ThreadRefresher
from affsite.clock import FakeClock

from .conftest import DETAIL, MakeCatalog
from .helpers import DAY, Deferred, SettingsBox, statuses

LIST_QUERY = "aliexpress.affiliate.product.query"
HOT_QUERY = "aliexpress.affiliate.hotproduct.query"


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
    fetched = catalog.products(ids, purpose=Purpose.PAGE)
    clock.advance(1.2 * DAY)

    stale = catalog.products(ids, purpose=Purpose.PAGE)
    assert statuses(stale) == {Status.STALE}
    assert [a.product for a in stale] == [a.product for a in fetched]
    assert stale[0].fetched_at == fetched[0].fetched_at
    assert sandbox.call_count(DETAIL) == 1, "the visitor did not wait for the gateway"
    assert len(queued) == 1 and queued[0][0] == ids

    job_ids, job = queued[0]
    job(job_ids)  # type: ignore[operator]
    assert sandbox.call_count(DETAIL) == 2
    renewed = catalog.products(ids, purpose=Purpose.PAGE)
    assert statuses(renewed) == {Status.HIT}
    assert renewed[0].fetched_at == clock()


def test_stale_is_served_while_the_gateway_is_down_until_its_limit(
    catalog: Catalog,
    sandbox: Sandbox,
    settings: SettingsBox,
    clock: FakeClock,
    promotable: list[str],
) -> None:
    ids = promotable[:2]
    catalog.products(ids, purpose=Purpose.PAGE)
    sandbox.inject("server_error", status=503)
    clock.advance(1.5 * DAY)

    for _ in range(5):
        answers = catalog.products(ids, purpose=Purpose.PAGE)
        assert statuses(answers) == {Status.STALE}
        assert all(a.available for a in answers)
    # One refresh tried (with one retry); then the failure is remembered for a minute.
    assert sandbox.call_count(DETAIL) == 1 + 2

    clock.advance(settings.value.stale_ttl)  # past the stale limit
    gone = catalog.products(ids, purpose=Purpose.PAGE)
    assert statuses(gone) == {Status.FALLBACK}
    assert {a.reason for a in gone} == {Reason.GATEWAY_DOWN}
    assert gone[0].to_json() == {"id": ids[0], "available": False, "reason": "gateway_down"}


def test_stale_is_served_when_the_quota_is_spent(
    catalog: Catalog,
    sandbox: Sandbox,
    settings: SettingsBox,
    clock: FakeClock,
    promotable: list[str],
) -> None:
    ids, cold = promotable[:3], promotable[3]
    catalog.products(ids, purpose=Purpose.PAGE)
    clock.advance(1.2 * DAY)
    limit = settings.value.daily_quota - settings.value.admin_reserve
    catalog.gate.quota.set_used(limit)
    calls = sandbox.call_count()

    assert statuses(catalog.products(ids, purpose=Purpose.PAGE)) == {Status.STALE}
    fallback = catalog.product(cold, purpose=Purpose.PAGE)
    assert (fallback.status, fallback.reason) == (Status.FALLBACK, Reason.QUOTA_EXHAUSTED)
    assert sandbox.call_count() == calls
    assert catalog.quota().used == limit


def test_refresh_renews_the_soonest_expiring_within_a_budget(
    catalog: Catalog, sandbox: Sandbox, clock: FakeClock, promotable: list[str]
) -> None:
    first, second = promotable[:20], promotable[20:40]
    catalog.products(first, purpose=Purpose.PAGE)
    clock.advance(0.3 * DAY)
    catalog.products(second, purpose=Purpose.PAGE)
    clock.advance(0.6 * DAY)  # "first" is close to expiry, "second" is not yet due
    calls = sandbox.call_count(DETAIL)

    report = catalog.refresh(budget=5)
    assert report.calls == 1 and sandbox.call_count(DETAIL) == calls + 1
    assert set(report.ids) == set(first)
    assert report.refreshed + report.not_promotable == 20
    assert catalog.refresh(budget=5).calls == 0, "nothing else is due"


def test_stale_is_answered_while_the_refresh_runs_in_the_background(
    make_catalog: MakeCatalog, sandbox: Sandbox, clock: FakeClock, promotable: list[str]
) -> None:
    refresher = ThreadRefresher()
    catalog = make_catalog(refresher=refresher)
    ids = promotable[:3]
    catalog.products(ids, purpose=Purpose.PAGE)
    clock.advance(1.2 * 86_400)
    sandbox.inject("slow", seconds=60)  # the background refresh hangs in the gateway

    for _ in range(3):  # answered at once, and the refresh is queued only once
        assert {a.status for a in catalog.products(ids, purpose=Purpose.PAGE)} == {Status.STALE}
    sandbox.clear_faults()  # the gateway answers now
    refresher.close(timeout=20)
    assert sandbox.call_count(DETAIL) == 2
    assert {a.status for a in catalog.products(ids, purpose=Purpose.PAGE)} == {Status.HIT}


def test_a_page_that_may_wait_refreshes_before_it_answers(
    make_catalog: MakeCatalog, sandbox: Sandbox, clock: FakeClock, promotable: list[str]
) -> None:
    queued: list[list[str]] = []

    class QueueingRefresher:
        def submit(self, group: str, ids: list[str], job: Callable[[list[str]], None]) -> bool:
            queued.append(list(ids))
            return True

        def close(self, timeout: float = 5.0) -> None:
            return None

    catalog = make_catalog(refresher=QueueingRefresher())
    catalog.products(promotable[:2], purpose=Purpose.CLI)
    clock.advance(1.2 * DAY)

    assert statuses(catalog.products(promotable[:2], purpose=Purpose.CLI)) == {Status.STALE}
    assert queued == [], "a command renews at once instead of queueing"
    assert sandbox.call_count(DETAIL) == 2
    assert statuses(catalog.products(promotable[:2], purpose=Purpose.PAGE)) == {Status.HIT}


def test_refresh_stops_at_the_first_limit_that_refuses_every_call(
    catalog: Catalog,
    sandbox: Sandbox,
    settings: SettingsBox,
    clock: FakeClock,
    promotable: list[str],
) -> None:
    settings.save(batch_size=5)
    catalog.products(promotable[:15], purpose=Purpose.PAGE)
    clock.advance(0.9 * DAY)
    catalog.gate.quota.set_used(settings.value.daily_quota - settings.value.admin_reserve)
    calls = sandbox.call_count()

    report = catalog.refresh(budget=10)

    assert (report.calls, report.failed, report.stopped) == (1, 5, Reason.QUOTA_EXHAUSTED)
    assert report.to_json()["stopped"] == "quota_exhausted"
    assert sandbox.call_count() == calls


def test_refresh_without_usable_settings_says_so(
    catalog: Catalog, settings: SettingsBox, clock: FakeClock, promotable: list[str]
) -> None:
    catalog.products(promotable[:3], purpose=Purpose.PAGE)
    clock.advance(0.9 * DAY)
    settings.save(sign_method="rot13")  # a value the client refuses

    report = catalog.refresh(budget=3)

    assert (report.calls, report.stopped) == (0, Reason.NOT_CONFIGURED)


# --- renewals run under the settings in force when they run --------------------------------


def queued_renewal(
    make_catalog: MakeCatalog, clock: FakeClock, ids: list[str]
) -> tuple[Catalog, Deferred]:
    """A catalog whose stale ``ids`` were answered and whose renewal waits in the queue."""
    refresher = Deferred()
    catalog = make_catalog(refresher=refresher)
    catalog.products(ids, purpose=Purpose.PAGE)
    clock.advance(1.2 * DAY)
    assert statuses(catalog.products(ids, purpose=Purpose.PAGE)) == {Status.STALE}
    assert len(refresher.jobs) == 1
    return catalog, refresher


def test_a_queued_renewal_makes_no_call_past_a_quota_lowered_since(
    make_catalog: MakeCatalog,
    sandbox: Sandbox,
    settings: SettingsBox,
    clock: FakeClock,
    promotable: list[str],
) -> None:
    catalog, refresher = queued_renewal(make_catalog, clock, promotable[:3])
    used = catalog.quota().used
    settings.save(daily_quota=used, admin_reserve=0)  # the owner: no more calls today

    refresher.run()

    assert sandbox.call_count(DETAIL) == 1
    assert catalog.quota().used == used
    assert statuses(catalog.products(promotable[:3], purpose=Purpose.PAGE)) == {Status.STALE}


def test_a_queued_renewal_runs_under_the_settings_saved_since(
    make_catalog: MakeCatalog,
    sandbox: Sandbox,
    settings: SettingsBox,
    clock: FakeClock,
    promotable: list[str],
) -> None:
    catalog, refresher = queued_renewal(make_catalog, clock, promotable[:3])
    settings.save(cache_ttl=3 * DAY)

    refresher.run()

    assert sandbox.call_count(DETAIL) == 2
    clock.advance(2 * DAY)  # stale by then under the lifetime it was queued with
    assert statuses(catalog.products(promotable[:3], purpose=Purpose.PAGE)) == {Status.HIT}


def test_a_queued_renewal_is_dropped_when_the_settings_name_other_products(
    make_catalog: MakeCatalog,
    sandbox: Sandbox,
    settings: SettingsBox,
    clock: FakeClock,
    promotable: list[str],
) -> None:
    catalog, refresher = queued_renewal(make_catalog, clock, promotable[:3])
    settings.save(country="DE")  # prices and links for another country: other entries

    refresher.run()

    assert sandbox.call_count(DETAIL) == 1, "no call for entries no page shows any more"
    answers = catalog.products(promotable[:3], purpose=Purpose.PAGE)
    assert statuses(answers) == {Status.MISS}  # the new country's own, fetched when asked
    assert sandbox.call_count(DETAIL) == 2


def test_a_quota_lowered_while_the_cron_refresh_runs_stops_its_next_call(
    catalog: Catalog,
    sandbox: Sandbox,
    settings: SettingsBox,
    clock: FakeClock,
    promotable: list[str],
) -> None:
    settings.save(batch_size=5)
    catalog.products(promotable[:15], purpose=Purpose.PAGE)
    clock.advance(0.9 * DAY)
    calls = sandbox.call_count(DETAIL)

    def owner_lowers_the_quota(handled: int) -> None:
        settings.save(daily_quota=catalog.quota().used, admin_reserve=0)

    report = catalog.refresh(budget=10, progress=owner_lowers_the_quota)

    assert report.stopped is Reason.QUOTA_EXHAUSTED
    assert sandbox.call_count(DETAIL) == calls + 1
    assert catalog.quota().used == settings.value.daily_quota


# --- the breaker's probe -------------------------------------------------------------------


def test_a_renewal_refused_while_another_worker_probes_runs_seconds_after_the_probe(
    make_catalog: MakeCatalog,
    sandbox: Sandbox,
    clock: FakeClock,
    promotable: list[str],
) -> None:
    prober, worker = make_catalog(breaker_threshold=1), make_catalog(breaker_threshold=1)
    ids = promotable[:3]
    worker.products(ids, purpose=Purpose.PAGE)
    clock.advance(1.2 * DAY)
    prober.gate.breaker.record_failure("GatewayUnavailable")  # calls pause for a minute
    clock.advance(61)
    prober.gate.breaker.check("credentials", "prober")  # its probe call is under way
    calls = sandbox.call_count(DETAIL)

    for _ in range(3):  # the renewal behind each answer is refused: only the probe calls
        assert statuses(worker.products(ids, purpose=Purpose.PAGE)) == {Status.STALE}
        clock.advance(3)
    assert sandbox.call_count(DETAIL) == calls

    prober.gate.breaker.record_success()  # the probe answered: AliExpress is back
    clock.advance(3)
    assert statuses(worker.products(ids, purpose=Purpose.PAGE)) == {Status.STALE}
    assert sandbox.call_count(DETAIL) == calls + 1, "renewed behind that answer"
    assert statuses(worker.products(ids, purpose=Purpose.PAGE)) == {Status.HIT}


# --- the site's lists in the cron refresh ----------------------------------------------------

USB = ProductQuery(keywords="usb", page_size=4)


def searches(sandbox: Sandbox) -> int:
    return sandbox.call_count(LIST_QUERY) + sandbox.call_count(HOT_QUERY)


def test_refresh_renews_the_sites_lists_soonest_expiring_first_within_the_budget(
    catalog: Catalog, sandbox: Sandbox, settings: SettingsBox, clock: FakeClock
) -> None:
    hot = HotProductQuery(keywords="lamp", page_size=3)
    mug = ProductQuery(keywords="mug", page_size=3)
    ttl = settings.value.list_ttl
    catalog.list_answers([USB], purpose=Purpose.PAGE)
    clock.advance(0.1 * ttl)
    catalog.list_answers([hot], purpose=Purpose.ADMIN)
    clock.advance(0.1 * ttl)
    catalog.list_answers([mug], purpose=Purpose.CLI)
    clock.advance(0.7 * ttl)  # usb expires first, then hot; mug is not due yet
    assert (sandbox.call_count(LIST_QUERY), sandbox.call_count(HOT_QUERY)) == (2, 1)

    report = catalog.refresh(budget=1)
    assert (report.lists_due, report.lists_renewed, report.calls) == (2, 1, 1)
    assert (sandbox.call_count(LIST_QUERY), sandbox.call_count(HOT_QUERY)) == (3, 1)
    report = catalog.refresh(budget=5)
    assert (report.lists_due, report.lists_renewed, report.calls) == (1, 1, 1)
    assert (sandbox.call_count(LIST_QUERY), sandbox.call_count(HOT_QUERY)) == (3, 2)
    assert catalog.refresh(budget=5).lists_due == 0, "nothing else is due"

    # Renewed lists are fresh for a whole list expiration time from the refresh.
    clock.advance(0.9 * ttl)
    answers = catalog.list_answers([USB, hot], purpose=Purpose.PUBLIC)
    assert [a.status for a in answers] == [Status.HIT, Status.HIT]
    assert sandbox.call_count(DETAIL) == 0, "the products the lists found came with them"


def test_refresh_leaves_lists_only_public_requests_asked_for_to_their_views(
    catalog: Catalog, sandbox: Sandbox, settings: SettingsBox, clock: FakeClock
) -> None:
    catalog.list_answers([USB], purpose=Purpose.PUBLIC)
    clock.advance(settings.value.list_ttl + 60)
    report = catalog.refresh(budget=5)
    assert (report.lists_due, report.calls, searches(sandbox)) == (0, 0, 1)


def test_refresh_of_the_lists_stops_at_the_first_limit_that_refuses_every_call(
    catalog: Catalog, sandbox: Sandbox, settings: SettingsBox, clock: FakeClock
) -> None:
    words = ("usb", "mug", "lamp")
    catalog.list_answers([ProductQuery(keywords=w) for w in words], purpose=Purpose.PAGE)
    clock.advance(settings.value.list_ttl + 60)
    catalog.gate.quota.set_used(settings.value.daily_quota)

    report = catalog.refresh(budget=10)
    assert report.stopped is Reason.QUOTA_EXHAUSTED
    assert (report.lists_due, report.lists_failed, report.lists_renewed) == (3, 1, 0)
    assert searches(sandbox) == 3, "no call once the quota is spent"
    assert report.to_json()["lists"] == {"due": 3, "renewed": 0, "failed": 1}


def test_a_list_that_fails_for_itself_is_counted_and_the_run_goes_on(
    catalog: Catalog,
    sandbox: Sandbox,
    settings: SettingsBox,
    clock: FakeClock,
    promotable: list[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    catalog.list_answers([USB], purpose=Purpose.PAGE)
    clock.advance(60)
    catalog.list_answers([ProductQuery(keywords="mug")], purpose=Purpose.PAGE)
    catalog.products(promotable[:20], purpose=Purpose.PAGE)
    clock.advance(0.95 * DAY)  # both lists and the 20 products are due

    search = AliExpressClient.search

    def broken_for_usb(client: AliExpressClient, query: ProductQuery) -> Any:
        if query.keywords == "usb":
            raise RuntimeError("an answer this version cannot read")
        return search(client, query)

    monkeypatch.setattr(AliExpressClient, "search", broken_for_usb)
    report = catalog.refresh(budget=5)
    assert (report.lists_due, report.lists_failed, report.lists_renewed) == (2, 1, 1)
    assert report.stopped is None, "one list's own trouble does not stop the run"
    assert report.refreshed > 0, "the products were renewed after the lists"
    assert not set(catalog.due_for_refresh()) & set(promotable[:20])
