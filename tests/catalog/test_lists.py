"""Search and hot-product lists: one gateway call per list and list expiration time, the
products' rules for stale answers, failures, single flight, the quota and the public share.

The gateway is the counting sandbox; time is the injected FakeClock (a real clock only where
threads race).
"""

from __future__ import annotations

import threading
from pathlib import Path

import pytest

from affsite.aliexpress import HotProductQuery, ProductQuery, ProductSort
from affsite.aliexpress.sandbox import Sandbox
from affsite.cache import open_stores
from affsite.catalog import Catalog, ListAnswer, Purpose, Reason, Status
from affsite.clock import FakeClock

from .conftest import DETAIL, MakeCatalog
from .helpers import DAY, TRACKING_IDS, Deferred, SettingsBox, statuses, transport_factory

QUERY = "aliexpress.affiliate.product.query"
HOT = "aliexpress.affiliate.hotproduct.query"
USB = ProductQuery(keywords="usb", page_size=4)


def one(catalog: Catalog, query: ProductQuery, purpose: Purpose) -> ListAnswer:
    [answer] = catalog.list_answers([query], purpose=purpose)
    return answer


def searches(sandbox: Sandbox) -> int:
    return sandbox.call_count(QUERY) + sandbox.call_count(HOT)


def test_a_list_costs_one_call_per_query_and_list_expiration_time(
    catalog: Catalog, sandbox: Sandbox, settings: SettingsBox, clock: FakeClock
) -> None:
    hot = HotProductQuery(keywords="usb", page_size=3, sort=ProductSort.DISCOUNT_DESC)
    first = catalog.list_answers([USB, hot, USB], purpose=Purpose.PAGE)
    assert [a.status for a in first] == [Status.MISS] * 3
    assert (sandbox.call_count(QUERY), sandbox.call_count(HOT)) == (1, 1)
    assert [len(a.ids) for a in first] == [4, 3, 4]
    assert first[0].ids == first[2].ids and first[0].fetched_at == clock()

    clock.advance(settings.value.list_ttl - 1)
    again = catalog.list_answers([USB, hot], purpose=Purpose.PUBLIC)
    assert [a.status for a in again] == [Status.HIT, Status.HIT]
    assert [a.ids for a in again] == [first[0].ids, first[1].ids]
    assert searches(sandbox) == 2

    clock.advance(2)  # past the list expiration time: renewed once, behind a stale answer
    assert one(catalog, USB, Purpose.PAGE).status is Status.STALE
    assert one(catalog, USB, Purpose.PAGE).status is Status.HIT
    assert sandbox.call_count(QUERY) == 2
    assert sandbox.call_count(DETAIL) == 0


def test_the_list_expiration_time_is_a_setting(
    make_catalog: MakeCatalog, sandbox: Sandbox, settings: SettingsBox, clock: FakeClock
) -> None:
    settings.save(list_ttl=600)
    catalog = make_catalog()
    one(catalog, USB, Purpose.PAGE)
    clock.advance(601)
    assert one(catalog, USB, Purpose.PAGE).status is Status.STALE


def test_the_products_a_list_found_are_answered_without_a_call(
    catalog: Catalog, sandbox: Sandbox
) -> None:
    found = one(catalog, USB, Purpose.PUBLIC)
    answers = catalog.products(found.ids, purpose=Purpose.PUBLIC)
    assert statuses(answers) == {Status.HIT}
    assert [a.id for a in answers] == list(found.ids)
    assert all(a.product is not None for a in answers)
    assert sandbox.stats()["calls"] == 1
    assert catalog.index.rows(catalog.stats().namespace).keys() >= set(found.ids)


def test_a_stale_list_is_served_at_once_and_renewed_behind(
    make_catalog: MakeCatalog, sandbox: Sandbox, settings: SettingsBox, clock: FakeClock
) -> None:
    refresher = Deferred()
    catalog = make_catalog(refresher=refresher)
    fresh = one(catalog, USB, Purpose.PAGE)
    clock.advance(settings.value.list_ttl + 60)

    stale = one(catalog, USB, Purpose.PAGE)
    assert (stale.status, stale.ids, stale.fetched_at) == (
        Status.STALE,
        fresh.ids,
        fresh.fetched_at,
    )
    assert sandbox.call_count(QUERY) == 1  # nothing was waited for
    assert len(refresher.jobs) == 1

    refresher.run()
    renewed = one(catalog, USB, Purpose.PAGE)
    assert (renewed.status, renewed.fetched_at) == (Status.HIT, clock())
    assert sandbox.call_count(QUERY) == 2


def test_a_failed_renewal_keeps_serving_the_stale_list_until_its_limit(
    catalog: Catalog, sandbox: Sandbox, settings: SettingsBox, clock: FakeClock
) -> None:
    fresh = one(catalog, USB, Purpose.PAGE)
    clock.advance(settings.value.list_ttl + 60)
    sandbox.inject("server_error", status=502)

    for _ in range(3):  # the failure is remembered: no retry per page view
        stale = one(catalog, USB, Purpose.PAGE)
        assert (stale.status, stale.ids) == (Status.STALE, fresh.ids)
    assert sandbox.call_count(QUERY) == 1 + 2  # one renewal: the attempt and its retry

    clock.advance(settings.value.stale_ttl)  # past the stale limit, the gateway still down
    gone = one(catalog, USB, Purpose.PAGE)
    assert (gone.status, gone.reason, gone.ids) == (Status.FALLBACK, Reason.GATEWAY_DOWN, ())
    assert gone.problem and gone.fix

    sandbox.clear_faults()
    clock.advance(61)  # the failure memo ends
    assert one(catalog, USB, Purpose.PAGE).status is Status.MISS


@pytest.mark.parametrize("change", ["quota", "country"])
def test_a_queued_list_renewal_runs_under_the_settings_saved_since(
    make_catalog: MakeCatalog,
    sandbox: Sandbox,
    settings: SettingsBox,
    clock: FakeClock,
    change: str,
) -> None:
    refresher = Deferred()
    catalog = make_catalog(refresher=refresher)
    one(catalog, USB, Purpose.PAGE)
    clock.advance(settings.value.list_ttl + 60)
    assert one(catalog, USB, Purpose.PAGE).status is Status.STALE
    if change == "quota":  # the owner: no more calls today
        settings.save(daily_quota=catalog.quota().used, admin_reserve=0)
    else:  # another country's list: the old one is never shown again
        settings.save(country="DE")

    refresher.run()

    assert searches(sandbox) == 1


@pytest.mark.parametrize("limit", ["quota", "ban"])
def test_no_call_when_a_shared_limit_refuses(
    catalog: Catalog, sandbox: Sandbox, settings: SettingsBox, clock: FakeClock, limit: str
) -> None:
    cached = one(catalog, USB, Purpose.PAGE)
    clock.advance(settings.value.list_ttl + 60)
    if limit == "quota":
        catalog.gate.quota.set_used(settings.value.daily_quota)
    else:
        catalog.gate.ban.ban(3600, "Api access frequency exceeds the limit")

    stale = one(catalog, USB, Purpose.PAGE)  # stale-if-error
    cold = one(catalog, ProductQuery(keywords="mug"), Purpose.PAGE)

    assert (stale.status, stale.ids) == (Status.STALE, cached.ids)
    reason = Reason.QUOTA_EXHAUSTED if limit == "quota" else Reason.BANNED
    assert (cold.status, cold.reason, cold.ids) == (Status.FALLBACK, reason, ())
    assert searches(sandbox) == 1


def test_a_list_only_public_requests_ask_for_is_paid_from_the_public_share(
    make_catalog: MakeCatalog, sandbox: Sandbox, settings: SettingsBox, clock: FakeClock
) -> None:
    settings.save(daily_quota=100, admin_reserve=0, new_product_share=2)  # two calls a day
    catalog = make_catalog()
    allowance = catalog.gate.new_products

    one(catalog, USB, Purpose.PAGE)  # the site's own list
    one(catalog, USB, Purpose.PUBLIC)
    assert allowance.used() == 0

    public = [ProductQuery(keywords=word) for word in ("mug", "watch", "lamp")]
    answers = catalog.list_answers(public, purpose=Purpose.PUBLIC)
    assert [a.status for a in answers] == [Status.MISS, Status.MISS, Status.FALLBACK]
    assert (answers[2].reason, answers[2].ids) == (Reason.NEW_PRODUCT_LIMIT, ())
    assert answers[2].fix and "share" in answers[2].fix
    assert allowance.used() == 2
    assert sandbox.call_count(QUERY) == 3  # the refused list cost no call

    # Past their expiration, the site's list is renewed from the quota; a public-only one
    # would need the spent share: it is served stale, not renewed.
    clock.advance(settings.value.list_ttl + 60)
    assert one(catalog, USB, Purpose.PUBLIC).status is Status.STALE
    assert one(catalog, public[0], Purpose.PUBLIC).status is Status.STALE
    assert sandbox.call_count(QUERY) == 4
    assert one(catalog, USB, Purpose.PUBLIC).status is Status.HIT

    # Once the site shows the refused list itself, it is paid from the quota.
    assert one(catalog, public[2], Purpose.PAGE).status is Status.MISS
    assert allowance.used() == 2


def test_the_sites_own_requests_never_use_the_public_share(
    make_catalog: MakeCatalog, sandbox: Sandbox, settings: SettingsBox
) -> None:
    settings.save(new_product_share=0)
    catalog = make_catalog()
    for purpose in (Purpose.PAGE, Purpose.CLI, Purpose.ADMIN):
        query = ProductQuery(keywords="usb", page_size=3, min_price=len(purpose) * 100)
        assert one(catalog, query, purpose).status is Status.MISS
    refused = one(catalog, ProductQuery(keywords="mug"), Purpose.PUBLIC)
    assert refused.reason is Reason.NEW_PRODUCT_LIMIT
    assert sandbox.call_count(QUERY) == 3


def test_a_new_locale_is_a_new_list(
    catalog: Catalog, sandbox: Sandbox, settings: SettingsBox
) -> None:
    one(catalog, USB, Purpose.PAGE)
    settings.save(currency="EUR")
    assert one(catalog, USB, Purpose.PAGE).status is Status.MISS
    assert sandbox.calls_snapshot()[-1].params["target_currency"] == "EUR"
    assert sandbox.call_count(QUERY) == 2


def test_clearing_the_cache_forgets_lists(catalog: Catalog, sandbox: Sandbox) -> None:
    one(catalog, USB, Purpose.PAGE)
    catalog.clear()
    assert one(catalog, USB, Purpose.PAGE).status is Status.MISS
    assert sandbox.call_count(QUERY) == 2


def test_eight_threads_on_one_cold_list_make_one_call(tmp_path: Path) -> None:
    sandbox = Sandbox(tracking_ids=TRACKING_IDS)
    sandbox.inject("slow", seconds=0.2)  # long enough for every thread to arrive meanwhile
    catalog = Catalog(
        settings=SettingsBox(rate_limit=1000.0),
        stores=open_stores(tmp_path / "cache"),
        client_factory=transport_factory(sandbox.transport()),
        poll_interval=0.01,
    )
    barrier = threading.Barrier(8)
    results: list[ListAnswer] = []

    def render() -> None:
        barrier.wait(timeout=10)
        results.append(one(catalog, USB, Purpose.PAGE))

    threads = [threading.Thread(target=render) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    sandbox.clear_faults()
    catalog.close()

    assert len(results) == 8
    assert sandbox.call_count(QUERY) == 1
    assert {a.status for a in results} <= {Status.MISS, Status.HIT}
    assert len({a.ids for a in results}) == 1 and len(results[0].ids) == 4


def test_a_list_that_finds_nothing_is_an_answer_kept_like_any_other(
    catalog: Catalog, sandbox: Sandbox, clock: FakeClock
) -> None:
    nothing = ProductQuery(keywords="zzqx nothing at all")
    assert one(catalog, nothing, Purpose.PAGE).ids == ()
    clock.advance(DAY / 24)
    answer = one(catalog, nothing, Purpose.PAGE)
    assert (answer.status, answer.ids) == (Status.HIT, ())
    assert sandbox.call_count(QUERY) == 1


def test_lists_never_raise(catalog: Catalog, monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(*args: object, **kwargs: object) -> None:
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(catalog._lists, "_answer", broken)
    [answer] = catalog.list_answers([USB], purpose=Purpose.PAGE)
    assert (answer.status, answer.reason) == (Status.FALLBACK, Reason.UNAVAILABLE)
    with pytest.raises(ValueError):
        catalog.list_answers([USB], purpose="nobody")  # type: ignore[arg-type]
