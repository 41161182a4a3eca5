"""The catalog's face: answers in the order asked, namespaces, a misbehaving disk, admin
actions, the purposes it accepts and the short-link follower it hands out.

The gateway is the counting sandbox; time is the injected FakeClock.
"""

from __future__ import annotations

import errno
import sqlite3
from pathlib import Path

import diskcache
import httpx
import pytest

from affsite.aliexpress.sandbox import Sandbox
from affsite.cache import Store, open_stores
from affsite.catalog import Catalog, Purpose, Reason, Status
from affsite.catalog.connection import check_connection
from affsite.clock import FakeClock
from affsite.product_ids import MemoryCache, ShortLinkFollower

from .conftest import DETAIL, MakeCatalog
from .helpers import SettingsBox, statuses


def test_answers_come_in_the_order_asked_with_duplicates_and_bad_ids(
    catalog: Catalog, promotable: list[str]
) -> None:
    a, b = promotable[:2]
    answers = catalog.products(
        ["not-an-id", b, a, b, f"https://www.aliexpress.com/item/{a}.html"], purpose=Purpose.PAGE
    )
    assert [x.status for x in answers[:4]] == [
        Status.FALLBACK,
        Status.MISS,
        Status.MISS,
        Status.MISS,
    ]
    assert answers[0].reason == Reason.INVALID_ID
    assert answers[0].to_json() == {"id": "not-an-id", "available": False, "reason": "invalid_id"}
    assert [x.id for x in answers[1:4]] == [b, a, b]
    assert (
        answers[4].status == Status.FALLBACK
    )  # the catalog takes ids; URLs are the resolver's job


def test_not_promotable_answers_are_cached_for_the_negative_ttl(
    catalog: Catalog, sandbox: Sandbox, settings: SettingsBox, clock: FakeClock
) -> None:
    unknown = "1005009999999999"
    not_promotable = sandbox.catalog.not_promotable_ids()[0]
    for _ in range(2):
        answers = catalog.products([unknown, not_promotable], purpose=Purpose.PAGE)
        assert [(a.status, a.reason) for a in answers] == [
            (Status.NEGATIVE, Reason.NOT_PROMOTABLE)
        ] * 2
    assert sandbox.call_count(DETAIL) == 1

    clock.advance(settings.value.negative_ttl * 1.2)
    catalog.products([unknown], purpose=Purpose.PAGE)  # served as known-negative, re-checked behind
    assert sandbox.call_count(DETAIL) == 2


def test_saving_a_new_tracking_id_starts_a_fresh_namespace(
    catalog: Catalog, sandbox: Sandbox, settings: SettingsBox, promotable: list[str]
) -> None:
    ids = promotable[:3]
    before = catalog.products(ids, purpose=Purpose.PAGE)
    settings.save(tracking_id="site_two")
    after = catalog.products(ids, purpose=Purpose.PAGE)
    assert statuses(after) == {Status.MISS}
    assert sandbox.call_count(DETAIL) == 2
    calls = [c for c in sandbox.calls_snapshot() if c.method == DETAIL]
    assert calls[-1].params["tracking_id"] == "site_two"
    for old, new in zip(before, after, strict=True):
        assert old.product and new.product and new.product.promotion_link
        assert new.product.promotion_link != old.product.promotion_link
    assert statuses(catalog.products(ids, purpose=Purpose.PAGE)) == {Status.HIT}


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
    catalog.products(promotable[:2], purpose=Purpose.PAGE)
    settings.save(**change)
    assert statuses(catalog.products(promotable[:2], purpose=Purpose.PAGE)) == {Status.MISS}


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

    # The data store only: the shared limits (the control store) are on a sound disk here.
    monkeypatch.setattr(diskcache.FanoutCache, "set", refuse)
    for expected_calls in (1, 2):
        answers = catalog.products(promotable[:3], purpose=Purpose.PAGE)
        assert statuses(answers) == {Status.MISS}
        assert all(a.available for a in answers)
        assert sandbox.call_count(DETAIL) == expected_calls
    stats = catalog.stats()
    assert stats.cache_state == "degraded"
    assert "disk is full" in stats.cache_summary
    assert stats.quota.used == 2


def test_a_corrupt_cache_database_is_replaced_at_start(
    make_catalog: MakeCatalog, cache_dir: Path, sandbox: Sandbox, promotable: list[str]
) -> None:
    shard = cache_dir / "data" / "000"
    shard.mkdir(parents=True)
    (shard / "cache.db").write_bytes(b"\x00garbage" * 4096)
    catalog = make_catalog()
    assert catalog.product(promotable[0], purpose=Purpose.PAGE).status == Status.MISS
    assert catalog.product(promotable[0], purpose=Purpose.PAGE).status == Status.HIT
    assert list(cache_dir.glob("data.corrupt-*"))


def test_a_product_cache_that_cannot_be_opened_still_answers(
    make_catalog: MakeCatalog, cache_dir: Path, sandbox: Sandbox, promotable: list[str]
) -> None:
    def cannot_open(path: Path) -> object:
        raise sqlite3.OperationalError("database or disk is full")

    stores = open_stores(cache_dir, data_opener=cannot_open)
    catalog = make_catalog(stores=stores)
    assert catalog.product(promotable[0], purpose=Purpose.PAGE).status == Status.MISS
    assert catalog.product(promotable[0], purpose=Purpose.PAGE).status == Status.MISS
    assert "Caching is off" in catalog.stats().cache_summary


def test_the_catalog_never_raises_even_when_a_dependency_does(
    make_catalog: MakeCatalog, promotable: list[str]
) -> None:
    def broken_settings() -> object:
        raise RuntimeError("settings store exploded")

    catalog = make_catalog(settings=broken_settings)
    answers = catalog.products(promotable[:2], purpose=Purpose.PAGE)
    assert [(a.status, a.reason) for a in answers] == [(Status.FALLBACK, Reason.UNAVAILABLE)] * 2


def test_admin_actions_may_use_the_reserve_pages_may_not(
    catalog: Catalog, settings: SettingsBox, promotable: list[str]
) -> None:
    catalog.gate.quota.set_used(settings.value.daily_quota - settings.value.admin_reserve)
    assert catalog.product(promotable[0], purpose=Purpose.PAGE).reason == Reason.QUOTA_EXHAUSTED
    with catalog.client(Purpose.ADMIN) as client:
        assert check_connection(client).ok
    with catalog.client(Purpose.PAGE) as client:
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
    refused = catalog.product(promotable[0], purpose=Purpose.PAGE)
    assert (refused.status, refused.reason) == (Status.FALLBACK, Reason.QUOTA_EXHAUSTED)
    assert sandbox.call_count() == 0

    clock.advance(3)  # 16:00:01 UTC: a new quota day in Beijing
    assert catalog.product(promotable[0], purpose=Purpose.PAGE).status == Status.MISS
    assert catalog.quota().used == 1


@pytest.mark.parametrize("purpose", ["view", "", "PAGE", None])
def test_an_unknown_purpose_is_an_error_not_a_default(
    catalog: Catalog, sandbox: Sandbox, promotable: list[str], purpose: object
) -> None:
    with pytest.raises(ValueError, match="is not a valid Purpose"):
        catalog.products(promotable[:1], purpose=purpose)  # type: ignore[arg-type]
    with pytest.raises(ValueError):
        catalog.client(purpose)  # type: ignore[arg-type]
    assert sandbox.call_count() == 0


def test_every_purpose_is_accepted_by_its_name(catalog: Catalog, promotable: list[str]) -> None:
    for purpose in Purpose:
        answer = catalog.product(promotable[0], purpose=purpose.value)  # type: ignore[arg-type]
        assert answer.available, purpose


def test_the_short_link_follower_is_the_one_the_catalog_was_given(
    make_catalog: MakeCatalog,
) -> None:
    made: list[Store] = []

    def redirect(request: httpx.Request) -> httpx.Response:
        item = "https://www.aliexpress.com/item/1005004757833857.html"
        return httpx.Response(302, headers={"Location": item})

    def follower(cache: Store) -> ShortLinkFollower:
        made.append(cache)
        return ShortLinkFollower(
            transport=httpx.MockTransport(redirect),
            resolve_host=lambda host, port: ["47.246.0.10"],
            cache=MemoryCache(),
        )

    catalog = make_catalog(short_links=follower)
    with catalog.short_link_follower() as built:
        resolution = built.follow("https://s.click.aliexpress.com/e/_abc")
    assert resolution.id == "1005004757833857"
    assert made == [catalog.stores.data], "handed the site's cache to remember answers in"


def test_settings_read_earlier_in_a_request_are_the_ones_answered_with(
    catalog: Catalog, sandbox: Sandbox, settings: SettingsBox, promotable: list[str]
) -> None:
    # A caller that draws the answers reads the settings once and hands them in: a save
    # landing in between must not make the answers and the drawing disagree.
    read_earlier = catalog.settings()
    settings.save(tracking_id="site_two")
    answer = catalog.product(promotable[0], purpose=Purpose.PUBLIC, settings=read_earlier)
    assert answer.status == Status.MISS
    [call] = [c for c in sandbox.calls_snapshot() if c.method == DETAIL]
    assert call.params["tracking_id"] != "site_two"
