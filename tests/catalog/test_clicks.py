"""Clicks on boxes: where a click goes (``click_targets``) and how clicks and views are counted
per product and UTC day (``clicks``).

The gateway is the counting sandbox (or a hostile stand-in for ``link.generate``); time is the
injected FakeClock; "workers" are catalogs sharing one cache folder.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest

from affsite.aliexpress.sandbox import Sandbox
from affsite.cache import Store, StoreError, Tx
from affsite.cache.memory import MemoryStore
from affsite.catalog import Catalog, ClickTarget, Destination, Purpose
from affsite.catalog.click_targets import lock_key, product_page
from affsite.catalog.clicks import ClickLog, click_day, day_key
from affsite.catalog.entries import entry_key, namespace
from affsite.clock import FakeClock

from .conftest import MakeCatalog
from .helpers import SettingsBox, transport_factory

LINK = "aliexpress.affiliate.link.generate"
DETAIL = "aliexpress.affiliate.productdetail.get"


def _at(year: int, month: int, day: int, hour: int = 12, minute: int = 0) -> float:
    return datetime(year, month, day, hour, minute, tzinfo=UTC).timestamp()


def _without_link(catalog: Catalog, settings: SettingsBox, pid: str) -> None:
    """Make the cached product one the gateway sent without a promotion link."""
    key = entry_key(namespace(settings.value), pid)
    raw = catalog.stores.data.get(key)
    raw["data"]["promotion_link"] = None
    catalog.stores.data.set(key, raw)


# --- where a click goes -----------------------------------------------------------------


def test_a_cached_product_goes_to_its_affiliate_link_without_a_gateway_call(
    catalog: Catalog, sandbox: Sandbox, promotable: list[str]
) -> None:
    answer = catalog.product(promotable[0], purpose=Purpose.PAGE)
    assert answer.product and answer.product.promotion_link
    calls = sandbox.call_count()

    target = catalog.clicks.target(promotable[0])

    assert target == ClickTarget(
        product_id=promotable[0],
        url=answer.product.promotion_link,
        destination=Destination.AFFILIATE,
    )
    assert target.url.startswith("https://s.click.aliexpress.com/")
    assert sandbox.call_count() == calls


@pytest.mark.parametrize(
    "raw",
    ["1005009999999999", "abc", "", " 1005004757833857", "1/../2", "0x1f", "1" * 40, "１２３"],
)
def test_ids_the_catalog_has_not_cached_are_unknown_and_cost_nothing(
    catalog: Catalog, sandbox: Sandbox, raw: str
) -> None:
    # A visitor clicking a box has a product we showed, and what we show is cached; anything
    # else would let anyone spend the quota on made-up ids.
    assert catalog.clicks.target(raw) is None
    assert sandbox.call_count() == 0


def test_an_entry_past_its_stale_limit_is_unknown(
    catalog: Catalog, settings: SettingsBox, clock: FakeClock, promotable: list[str]
) -> None:
    catalog.product(promotable[0], purpose=Purpose.PAGE)
    clock.advance(settings.value.cache_ttl * 1.2)  # stale but servable: still known
    assert catalog.clicks.target(promotable[0]) is not None
    clock.advance(settings.value.stale_ttl * 1.2)
    assert catalog.clicks.target(promotable[0]) is None


def test_a_known_product_that_is_not_promotable_goes_to_its_product_page(
    catalog: Catalog, sandbox: Sandbox
) -> None:
    pid = sandbox.catalog.not_promotable_ids()[0]
    catalog.product(pid, purpose=Purpose.PAGE)
    calls = sandbox.call_count()

    target = catalog.clicks.target(pid)

    assert target == ClickTarget(
        product_id=pid,
        url=f"https://www.aliexpress.com/item/{pid}.html",
        destination=Destination.PRODUCT_PAGE,
    )
    assert sandbox.call_count() == calls  # no link.generate for what cannot be promoted


def test_a_product_without_a_link_gets_one_from_link_generate_and_keeps_it(
    catalog: Catalog,
    sandbox: Sandbox,
    settings: SettingsBox,
    clock: FakeClock,
    promotable: list[str],
) -> None:
    pid = promotable[0]
    catalog.product(pid, purpose=Purpose.PAGE)
    _without_link(catalog, settings, pid)
    used = catalog.quota().used

    first = catalog.clicks.target(pid)
    assert first is not None and first.destination == Destination.AFFILIATE
    assert first.url.startswith("https://s.click.aliexpress.com/e/")
    assert sandbox.call_count(LINK) == 1
    call = [c for c in sandbox.calls_snapshot() if c.method == LINK][0]
    assert call.params["source_values"] == product_page(pid)
    assert catalog.quota().used == used + 1  # through the shared quota

    clock.advance(settings.value.cache_ttl * 0.5)
    assert catalog.clicks.target(pid) == first  # kept like a product
    assert sandbox.call_count(LINK) == 1


def test_a_generated_link_is_kept_by_every_worker(
    make_catalog: MakeCatalog, sandbox: Sandbox, settings: SettingsBox, promotable: list[str]
) -> None:
    one, two = make_catalog(), make_catalog()
    one.product(promotable[0], purpose=Purpose.PAGE)
    _without_link(one, settings, promotable[0])
    first = one.clicks.target(promotable[0])
    assert two.clicks.target(promotable[0]) == first
    assert sandbox.call_count(LINK) == 1


def test_a_link_aliexpress_will_not_make_sends_visitors_to_the_product_page_for_a_while(
    catalog: Catalog,
    sandbox: Sandbox,
    settings: SettingsBox,
    clock: FakeClock,
    promotable: list[str],
) -> None:
    # A tracking id AliExpress does not know: products come without links, and link.generate
    # converts nothing. Asked once per negative_ttl, not per click.
    settings.save(tracking_id="not_registered")
    pid = promotable[0]
    answer = catalog.product(pid, purpose=Purpose.PAGE)
    assert answer.product is not None and answer.product.promotion_link is None
    for _ in range(3):
        target = catalog.clicks.target(pid)
        assert target is not None and target.destination == Destination.PRODUCT_PAGE
    assert sandbox.call_count(LINK) == 1
    clock.advance(settings.value.negative_ttl * 1.01)
    catalog.clicks.target(pid)
    assert sandbox.call_count(LINK) == 2


def test_aliexpress_down_means_the_product_page_and_one_retry_a_minute(
    catalog: Catalog,
    sandbox: Sandbox,
    settings: SettingsBox,
    clock: FakeClock,
    promotable: list[str],
) -> None:
    pid = promotable[0]
    catalog.product(pid, purpose=Purpose.PAGE)
    _without_link(catalog, settings, pid)
    sandbox.inject("server_error")

    for _ in range(3):
        target = catalog.clicks.target(pid)
        assert target is not None and target.url == product_page(pid)
    failed_calls = sandbox.call_count(LINK)
    assert 1 <= failed_calls <= 2  # one call (and at most its one retry), not one per click

    sandbox.clear_faults()
    clock.advance(61)
    target = catalog.clicks.target(pid)
    assert target is not None and target.destination == Destination.AFFILIATE


def test_a_spent_quota_means_the_product_page_and_no_call(
    catalog: Catalog, sandbox: Sandbox, settings: SettingsBox, promotable: list[str]
) -> None:
    pid = promotable[0]
    catalog.product(pid, purpose=Purpose.PAGE)
    _without_link(catalog, settings, pid)
    catalog.gate.quota.set_used(settings.value.daily_quota)
    target = catalog.clicks.target(pid)
    assert target is not None and target.destination == Destination.PRODUCT_PAGE
    assert sandbox.call_count(LINK) == 0


def test_while_another_worker_asks_for_the_link_visitors_are_not_kept_waiting(
    catalog: Catalog,
    sandbox: Sandbox,
    settings: SettingsBox,
    clock: FakeClock,
    promotable: list[str],
) -> None:
    pid = promotable[0]
    catalog.product(pid, purpose=Purpose.PAGE)
    _without_link(catalog, settings, pid)
    ns = namespace(settings.value)
    catalog.stores.ctl.set(lock_key(ns, pid), {"owner": "other-worker", "until": clock() + 30})
    started = clock()
    target = catalog.clicks.target(pid)
    assert target is not None and target.destination == Destination.PRODUCT_PAGE
    assert sandbox.call_count(LINK) == 0
    assert clock() == started  # no waiting at all


def _hostile_links(sandbox: Sandbox, link: str) -> httpx.BaseTransport:
    """The sandbox, except that link.generate converts every URL to ``link``."""
    inner = sandbox.transport()

    def handle(request: httpx.Request) -> httpx.Response:
        form = dict(httpx.QueryParams(request.content.decode()))
        if form.get("method") != LINK:
            return inner.handle_request(request)
        items = [
            {"source_value": value, "promotion_link": link}
            for value in form["source_values"].split(",")
        ]
        body = {
            "aliexpress_affiliate_link_generate_response": {
                "resp_result": {
                    "resp_code": 200,
                    "resp_msg": "Call succeeds",
                    "result": {
                        "total_result_count": len(items),
                        "tracking_id": form.get("tracking_id"),
                        "promotion_links": {"promotion_link": items},
                    },
                }
            }
        }
        return httpx.Response(200, json=body)

    return httpx.MockTransport(handle)


@pytest.mark.parametrize(
    "hostile",
    [
        "https://evil.example/phish",
        "//evil.example/x",
        "https://s.click.aliexpress.com.evil.example/e/_x",
        "https://evil.example\\@s.click.aliexpress.com/e/_x",
        "javascript:alert(1)",
        "http://s.click.aliexpress.com/e/_x",
    ],
)
def test_a_hostile_generated_link_is_never_handed_out(
    make_catalog: MakeCatalog,
    sandbox: Sandbox,
    settings: SettingsBox,
    promotable: list[str],
    hostile: str,
) -> None:
    catalog = make_catalog(client_factory=transport_factory(_hostile_links(sandbox, hostile)))
    pid = promotable[0]
    catalog.product(pid, purpose=Purpose.PAGE)
    _without_link(catalog, settings, pid)
    target = catalog.clicks.target(pid)
    assert target is not None
    assert target.url == product_page(pid)


def test_a_hostile_link_in_the_cached_product_is_never_handed_out(
    catalog: Catalog, settings: SettingsBox, promotable: list[str]
) -> None:
    # Written into the cache behind the models' back (an older version, a tampered disk).
    pid = promotable[0]
    catalog.product(pid, purpose=Purpose.PAGE)
    key = entry_key(namespace(settings.value), pid)
    raw = catalog.stores.data.get(key)
    raw["data"]["promotion_link"] = "https://evil.example/phish"
    catalog.stores.data.set(key, raw)
    target = catalog.clicks.target(pid)
    assert target is not None
    assert target.url.startswith("https://s.click.aliexpress.com/")  # generated instead


# --- counting ---------------------------------------------------------------------------


def test_clicks_are_counted_per_product_and_utc_day(
    catalog: Catalog, clock: FakeClock, promotable: list[str]
) -> None:
    a, b = promotable[:2]
    clock.now = _at(2024, 6, 1, 23, 59)
    catalog.clicks.record(a)
    catalog.clicks.record(a)
    catalog.clicks.record(b)
    clock.now = _at(2024, 6, 2, 0, 1)  # a new UTC day (already the 2nd in Beijing at 08:00)
    catalog.clicks.record(a)

    report = catalog.clicks.report(days=3)

    assert report.days == ("2024-05-31", "2024-06-01", "2024-06-02")
    assert report.clicks_per_day == (0, 3, 1)
    assert [(p.product_id, p.clicks_per_day) for p in report.products] == [
        (a, (0, 2, 1)),
        (b, (0, 1, 0)),
    ]
    assert report.to_json()["clicks_per_day"] == {
        "2024-05-31": 0,
        "2024-06-01": 3,
        "2024-06-02": 1,
    }


def test_click_through_is_clicks_per_view_over_the_same_days(
    catalog: Catalog, clock: FakeClock, promotable: list[str]
) -> None:
    a, b = promotable[:2]
    clock.now = _at(2024, 6, 1)
    for _ in range(4):
        catalog.products([a, b], purpose=Purpose.PAGE)
    catalog.clicks.record(a)
    clock.now = _at(2024, 6, 9)  # those views and the click fall out of a 7-day window
    catalog.products([a], purpose=Purpose.PAGE)
    catalog.clicks.record(a)

    week = catalog.clicks.report(days=7)
    assert [(p.product_id, p.clicks, p.views, p.click_through) for p in week.products] == [
        (a, 1, 1, 1.0)
    ]
    fortnight = catalog.clicks.report(days=14)
    assert [(p.product_id, p.clicks, p.views) for p in fortnight.products] == [
        (a, 2, 5),
        (b, 0, 4),
    ]
    assert fortnight.products[1].click_through == 0.0
    assert (fortnight.clicks, fortnight.views) == (2, 9)


def test_finding_where_a_click_goes_is_not_a_view(catalog: Catalog, promotable: list[str]) -> None:
    catalog.product(promotable[0], purpose=Purpose.PAGE)
    for _ in range(3):
        catalog.clicks.target(promotable[0])
    (item,) = catalog.clicks.report().products
    assert item.views == 1


def test_clicks_of_every_worker_add_up_once_flushed(
    make_catalog: MakeCatalog, promotable: list[str]
) -> None:
    one, two = make_catalog(), make_catalog()
    one.clicks.record(promotable[0])
    two.clicks.record(promotable[0])
    two.clicks.record(promotable[1])
    # Buffered per process: the other worker sees them once they are written (at the latest
    # when it stops: ``flush_on_exit``, proven with two apps in tests/web/test_go.py).
    assert one.clicks.report().clicks == 1
    two.flush()
    report = make_catalog().clicks.report()
    assert report.clicks == 3
    assert {p.product_id: p.clicks for p in report.products} == {
        promotable[0]: 2,
        promotable[1]: 1,
    }


def test_clicks_are_written_within_the_flush_interval_without_page_views(
    make_catalog: MakeCatalog, clock: FakeClock, promotable: list[str]
) -> None:
    clicked, reader = make_catalog(flush_interval=30), make_catalog()
    clicked.clicks.record(promotable[0])
    assert reader.clicks.report().clicks == 0
    clock.advance(31)
    clicked.clicks.record(promotable[0])  # due: both are written now
    assert reader.clicks.report().clicks == 2


def test_only_product_day_and_count_are_stored(
    catalog: Catalog, clock: FakeClock, promotable: list[str]
) -> None:
    clock.now = _at(2024, 6, 1)
    catalog.products([promotable[0]], purpose=Purpose.PAGE)
    catalog.clicks.record(promotable[0])
    catalog.flush()
    assert catalog.stores.ctl.get(day_key("2024-06-01")) == {promotable[0]: [1, 1]}


def test_the_report_names_products_by_their_cached_title(catalog: Catalog) -> None:
    hostile = "1005006188820412"  # a seller-written title with markup: the page escapes it
    answer = catalog.product(hostile, purpose=Purpose.PAGE)
    catalog.clicks.record(hostile)
    catalog.clicks.record("1005000000000000")  # counted before, no longer cached
    titles = {p.product_id: p.title for p in catalog.clicks.report().products}
    assert answer.product is not None and "<script>" in (answer.product.title or "")
    assert titles == {hostile: answer.product.title, "1005000000000000": None}


def test_the_report_keeps_the_top_products_and_says_how_many_were_counted(
    catalog: Catalog, promotable: list[str]
) -> None:
    for rank, pid in enumerate(promotable[:5]):
        for _ in range(rank + 1):
            catalog.clicks.record(pid)
    report = catalog.clicks.report(top=2)
    assert [p.product_id for p in report.products] == [promotable[4], promotable[3]]
    assert report.products_counted == 5
    assert report.clicks == 15  # totals cover every product, not only the top ones
    with pytest.raises(ValueError):
        catalog.clicks.report(days=0)
    with pytest.raises(ValueError):
        catalog.clicks.report(days=91)


# --- the click log on its own -------------------------------------------------------------


class _FailingOnce(MemoryStore):
    def __init__(self) -> None:
        super().__init__("ctl")
        self.fail = True

    def atomic(self, operation: Any) -> Any:
        if self.fail:
            self.fail = False
            raise StoreError("disk full")
        return super().atomic(operation)


def test_counts_a_store_could_not_write_are_kept_for_the_next_flush(clock: FakeClock) -> None:
    store = _FailingOnce()
    log = ClickLog(store, clock)
    log.record("1")
    log.viewed({"1": 3}, {"1": clock()})
    log.flush()  # refused
    assert store.get(day_key(click_day(clock()))) is None
    log.flush()
    assert store.get(day_key(click_day(clock()))) == {"1": [1, 3]}


def test_a_day_keeps_its_busiest_products_when_it_holds_too_many(clock: FakeClock) -> None:
    store: Store = MemoryStore("ctl")
    log = ClickLog(store, clock, max_products=2)
    for pid, clicks in (("1", 1), ("2", 3), ("3", 2)):
        for _ in range(clicks):
            log.record(pid)
    log.viewed({"1": 5, "4": 7}, {})
    log.flush()
    assert log.day(click_day(clock())) == {"2": (3, 0), "3": (2, 0)}
    # The day's totals still count every product, those cut from its table too.
    report = log.report(days=1)
    assert (report.clicks, report.views) == (6, 12)
    assert report.to_json()["views_per_day"] == {click_day(clock()): 12}


def test_days_written_before_totals_were_kept_sum_their_table(clock: FakeClock) -> None:
    store = MemoryStore("ctl")
    day = click_day(clock())
    store.set(day_key(day), {"1": [2, 10], "2": [1, 4]})
    report = ClickLog(store, clock).report(days=1)
    assert (report.clicks, report.views) == (3, 14)


def test_damaged_day_tables_are_read_as_nothing(clock: FakeClock) -> None:
    store = MemoryStore("ctl")
    day = click_day(clock())

    def damage(tx: Tx) -> None:
        tx.set(day_key(day), {"1": [1, 2], "2": "x", "3": [True, 1], "4": [-1, 0], "5": [2]})

    store.atomic(damage)
    log = ClickLog(store, clock)
    assert log.day(day) == {"1": (1, 2)}
    log.record("2")
    log.flush()
    assert log.day(day) == {"1": (1, 2), "2": (1, 0)}
    assert json.loads(json.dumps(store.get(day_key(day))))["2"] == [1, 0]
