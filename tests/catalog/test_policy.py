"""Purposes, failures as reasons, and who pays for a gateway call (issue 8, row 8).

The site's own products (asked for by its pages, commands and admin actions, or featured) are
fetched and refreshed from the daily quota; products only public requests asked for are
fetched and refreshed from the public share, and served stale when it is spent.
"""

from __future__ import annotations

import random

import pytest

from affsite.aliexpress import ApiCallLimit, CredentialsError, GatewayUnavailable
from affsite.aliexpress.sandbox import Sandbox
from affsite.cache import MemoryStore
from affsite.catalog import Catalog, Purpose, Reason, Status
from affsite.catalog.index import ProductIndex, StoreIndex
from affsite.catalog.policy import PublicShare, new_product_limit, reason_for
from affsite.clock import FakeClock
from affsite.limits import CallRefused, NewProductAllowance
from affsite.settings import Settings

from .conftest import DETAIL, MakeCatalog
from .helpers import DAY, SettingsBox, statuses

HOUR = 3600


def all_subclasses(cls: type[CallRefused]) -> set[type[CallRefused]]:
    found: set[type[CallRefused]] = set(cls.__subclasses__())
    for sub in list(found):
        found |= all_subclasses(sub)
    return found


# --- purposes and reasons --------------------------------------------------------------------


def test_a_page_view_never_waits_long_for_the_gateway(catalog: Catalog) -> None:
    # A visitor's page gets a few seconds per gateway call, retries included; commands and
    # admin actions may wait longer for a complete answer.
    deadlines = {}
    for purpose in (Purpose.PAGE, Purpose.PUBLIC, Purpose.ADMIN, Purpose.CLI):
        with catalog.client(purpose) as client:
            deadlines[purpose] = client.deadline
    assert deadlines[Purpose.PAGE] == deadlines[Purpose.PUBLIC] <= 4.0
    assert deadlines[Purpose.PAGE] < deadlines[Purpose.ADMIN] <= deadlines[Purpose.CLI]


def test_only_the_sites_own_purposes_make_products_its_own() -> None:
    own = {purpose for purpose in Purpose if purpose.rules.for_site}
    assert own == {Purpose.PAGE, Purpose.CLI, Purpose.ADMIN}
    assert {purpose for purpose in Purpose if purpose.rules.public} == {Purpose.PUBLIC}
    assert [p for p in Purpose if p.rules.attempts.uses_reserve] == [Purpose.ADMIN]


def test_every_refusal_of_a_shared_limit_is_answered_with_its_own_reason() -> None:
    refusals = all_subclasses(CallRefused)
    assert len(refusals) >= 6  # quota, ban, breaker, credentials, speed, limits unavailable
    for refusal in refusals:
        reason = reason_for(refusal("refused"))
        assert reason == refusal.reason, refusal
        assert reason is not Reason.UNAVAILABLE


def test_gateway_errors_become_reasons() -> None:
    assert reason_for(ApiCallLimit(ban_seconds=1)) is Reason.BANNED
    assert reason_for(CredentialsError("no")) is Reason.CREDENTIALS_REJECTED
    assert reason_for(GatewayUnavailable("down")) is Reason.GATEWAY_DOWN
    assert reason_for(RuntimeError("?")) is Reason.UNAVAILABLE


# --- the public share: paying for calls ------------------------------------------------------


@pytest.fixture
def index(clock: FakeClock) -> ProductIndex:
    return StoreIndex(MemoryStore(clock=clock), clock)


@pytest.fixture
def allowance(clock: FakeClock) -> NewProductAllowance:
    return NewProductAllowance(MemoryStore(clock=clock), clock)


@pytest.fixture
def share(allowance: NewProductAllowance, index: ProductIndex, clock: FakeClock) -> PublicShare:
    return PublicShare(allowance, index, clock)


@pytest.mark.parametrize(
    ("site", "riders", "fetch", "calls"),
    [
        # Public-only ids: one call from the allowance per batch of 2.
        ([], False, ["p1", "p2", "p3"], 2),
        # The site's ids first; public ones fill the room of the site's call for free...
        (["s1"], True, ["s1", "p1", "p2", "p3"], 1),
        # ... but not on a cold public request: new products always count.
        (["s1"], False, ["s1", "p1", "p2", "p3"], 2),
    ],
)
def test_paying_for_public_only_ids(
    share: PublicShare,
    allowance: NewProductAllowance,
    site: list[str],
    riders: bool,
    fetch: list[str],
    calls: int,
) -> None:
    settings = Settings(batch_size=2, daily_quota=100, new_product_share=10)
    payment = share.pay(settings, [*site, "p1", "p2", "p3"], site, riders=riders)
    assert (payment.fetch, payment.refused) == (fetch, [])
    assert allowance.used() == calls


def test_what_the_allowance_cannot_pay_for_is_refused(share: PublicShare) -> None:
    settings = Settings(batch_size=2, daily_quota=30, new_product_share=10)  # 3 calls a day
    first = share.pay(settings, ["a", "b", "c", "d"], [], riders=False)
    assert (first.fetch, first.refused) == (["a", "b", "c", "d"], [])
    second = share.pay(settings, ["e", "f", "g"], ["g"], riders=True)
    assert (second.fetch, second.refused) == (["g", "e", "f"], [])  # one call left: granted
    third = share.pay(settings, ["h", "i"], ["i"], riders=True)
    assert (third.fetch, third.refused) == (["i", "h"], [])  # rides in the site's call
    fourth = share.pay(settings, ["j"], [], riders=True)
    assert (fourth.fetch, fourth.refused) == ([], ["j"])


def test_featured_and_recently_shown_products_are_the_sites_own(
    share: PublicShare, index: ProductIndex, clock: FakeClock
) -> None:
    settings = Settings(featured_products=("111111",))
    index.viewed("ns", ["222222"], by_site=True)
    index.viewed("ns", ["333333"], by_site=False)
    assert share.site_products(settings, "ns", ["111111", "222222", "333333"]) == {
        "111111",
        "222222",
    }
    index.flush(force=True)
    clock.advance(settings.cache_ttl + settings.stale_ttl + 1)  # not asked for by the site since
    assert share.site_products(settings, "ns", ["111111", "222222"]) == {"111111"}


# --- issue 8, row 8: the public share leaks through refreshes ---------------------------------


@pytest.fixture
def short_lived(settings: SettingsBox) -> SettingsBox:
    """An hour of freshness, a week of stale; 80 calls a day for new public products."""
    settings.save(
        daily_quota=800,
        admin_reserve=0,
        new_product_share=10,
        cache_ttl=HOUR,
        stale_ttl=7 * DAY,
    )
    return settings


@pytest.mark.parametrize(("batch_size", "per_request"), [(1, 1), (20, 2)])
def test_refreshing_public_only_products_is_paid_from_the_public_share(
    catalog: Catalog,
    sandbox: Sandbox,
    short_lived: SettingsBox,
    clock: FakeClock,
    batch_size: int,
    per_request: int,
) -> None:
    # The audit: rounds of public requests for products the site never showed, each round
    # after they went stale. Their refreshes were not counted: 118 gateway calls while the
    # dashboard said 70 of 80.
    short_lived.save(batch_size=batch_size)
    ids = sandbox.catalog.promotable_ids()[:70]
    requests = [ids[start : start + per_request] for start in range(0, len(ids), per_request)]
    limit = new_product_limit(short_lived.value)

    for round_number in range(3):
        for asked in requests:
            answers = catalog.products(asked, purpose=Purpose.PUBLIC)
            assert all(answer.available for answer in answers)
            if round_number:
                assert statuses(answers) <= {Status.HIT, Status.STALE}
        used = catalog.stats().new_products_used
        assert sandbox.call_count(DETAIL) == used <= limit, f"round {round_number + 1}"
        clock.advance(1.1 * HOUR)  # every entry is stale now (freshness jitter is ±10 %)

    if batch_size == 1:  # (with bigger batches top-up renews most ids for free)
        assert used == limit, "the public share was spent, and not one call more"


def test_the_cron_refresh_pays_public_only_products_from_the_public_share(
    catalog: Catalog, sandbox: Sandbox, short_lived: SettingsBox, clock: FakeClock
) -> None:
    short_lived.save(batch_size=5, new_product_share=1)  # 8 calls a day
    ids = sandbox.catalog.promotable_ids()
    site, public = ids[:10], ids[10:40]
    catalog.products(site, purpose=Purpose.PAGE)
    for start in range(0, len(public), 5):
        catalog.products(public[start : start + 5], purpose=Purpose.PUBLIC)
    assert catalog.stats().new_products_used == 6
    clock.advance(0.9 * HOUR)
    calls = sandbox.call_count(DETAIL)

    report = catalog.refresh(budget=20)

    assert report.ids[:10] == [pid for pid in report.ids if pid in site], "the site's first"
    assert len(report.ids) == 20 and set(report.ids) - set(site) <= set(public)
    assert report.calls == sandbox.call_count(DETAIL) - calls == 4
    assert report.stopped == Reason.NEW_PRODUCT_LIMIT
    assert catalog.stats().new_products_used == 8


def test_the_sites_own_products_are_refreshed_from_the_quota_whoever_asks(
    catalog: Catalog, sandbox: Sandbox, short_lived: SettingsBox, clock: FakeClock
) -> None:
    short_lived.save(new_product_share=0)  # no share at all for public-only products
    shown, later = sandbox.catalog.promotable_ids()[:3], sandbox.catalog.promotable_ids()[3]
    catalog.products(shown, purpose=Purpose.PAGE)
    assert catalog.product(later, purpose=Purpose.PUBLIC).reason == Reason.NEW_PRODUCT_LIMIT
    catalog.product(later, purpose=Purpose.ADMIN)  # e.g. the settings page's preview
    clock.advance(1.1 * HOUR)

    stale = catalog.products([*shown, later], purpose=Purpose.PUBLIC)

    assert statuses(stale) == {Status.STALE}  # and refreshed behind the answer
    assert statuses(catalog.products([*shown, later], purpose=Purpose.PUBLIC)) == {Status.HIT}
    assert catalog.stats().new_products_used == 0


def test_public_only_products_are_served_stale_once_the_share_is_spent(
    catalog: Catalog, sandbox: Sandbox, short_lived: SettingsBox, clock: FakeClock
) -> None:
    short_lived.save(new_product_share=1, batch_size=1)  # 8 calls a day
    ids = sandbox.catalog.promotable_ids()[:8]
    for pid in ids:
        assert catalog.product(pid, purpose=Purpose.PUBLIC).status == Status.MISS
    clock.advance(1.1 * HOUR)
    calls = sandbox.call_count(DETAIL)

    for _ in range(3):
        assert statuses(catalog.products(ids, purpose=Purpose.PUBLIC)) == {Status.STALE}
    assert sandbox.call_count(DETAIL) == calls

    clock.advance(DAY)  # a new quota day (and still within the stale limit)
    assert statuses(catalog.products(ids[:1], purpose=Purpose.PUBLIC)) == {Status.STALE}
    assert sandbox.call_count(DETAIL) == calls + 1, "renewed from the new day's share"


class NoJitter(random.Random):
    """Every entry lives exactly ``cache_ttl``."""

    def uniform(self, a: float, b: float) -> float:
        return (a + b) / 2


def test_top_up_renews_the_sites_own_products_before_public_only_ones(
    make_catalog: MakeCatalog, sandbox: Sandbox, short_lived: SettingsBox, clock: FakeClock
) -> None:
    short_lived.save(batch_size=4)
    catalog = make_catalog(rng=NoJitter())
    ids = sandbox.catalog.promotable_ids()
    public, site, new = ids[:3], ids[3:6], ids[6]
    catalog.products(public, purpose=Purpose.PUBLIC)
    clock.advance(0.2 * HOUR)
    catalog.products(site, purpose=Purpose.PAGE)
    clock.advance(0.7 * HOUR)  # both past half their freshness; the public ones expire first

    catalog.product(new, purpose=Purpose.PAGE)

    calls = [c for c in sandbox.calls_snapshot() if c.method == DETAIL]
    first, *topped_up = calls[-1].params["product_ids"].split(",")
    assert (first, set(topped_up)) == (new, set(site))


def test_new_public_ids_cost_no_share_while_the_gateway_bans_us(
    catalog: Catalog, sandbox: Sandbox, clock: FakeClock
) -> None:
    # A call the shared limits refuse is never made, so it must not use up the day's share:
    # a long ban or outage would otherwise leave nothing for public requests afterwards.
    sandbox.inject("rate_limit", times=1, ban_seconds=600)
    ids = sandbox.catalog.promotable_ids()
    first = catalog.products([ids[0]], purpose=Purpose.PUBLIC)
    assert first[0].reason is Reason.BANNED
    spent = catalog.stats().new_products_used
    calls = sandbox.call_count(DETAIL)

    for pid in ids[1:11]:  # new ids, each its own public request, all during the ban
        (answer,) = catalog.products([pid], purpose=Purpose.PUBLIC)
        assert answer.reason is Reason.BANNED
    assert sandbox.call_count(DETAIL) == calls, "no call during the ban"
    assert catalog.stats().new_products_used == spent, "and nothing taken from the share"

    clock.advance(601)
    (after,) = catalog.products([ids[1]], purpose=Purpose.PUBLIC)
    assert after.available
    assert catalog.stats().new_products_used == spent + 1
