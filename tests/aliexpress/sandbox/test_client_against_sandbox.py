"""The client against the in-process sandbox: both sign methods, every method, the faults the
sandbox can stage, and the demo images it serves (allowed only through ``media_base_url``)."""

from __future__ import annotations

import random

import pytest

from affsite.aliexpress.client import AliExpressClient
from affsite.aliexpress.errors import (
    ApiCallLimit,
    GatewayUnavailable,
    IncompleteSignature,
    PublisherNotRegistered,
)
from affsite.aliexpress.protocol import CATEGORY_GET, PRODUCT_DETAIL
from affsite.aliexpress.queries import HotProductQuery, LinkRequest, ProductQuery
from affsite.aliexpress.sandbox import DEMO_APP_KEY, DEMO_APP_SECRET, DEMO_TRACKING_ID, Sandbox
from affsite.clock import FakeClock

from ..conftest import SleepLog


def sandbox_client(
    sandbox: Sandbox, clock: FakeClock, sleeps: SleepLog, **options: object
) -> AliExpressClient:
    settings = {
        "app_key": DEMO_APP_KEY,
        "app_secret": DEMO_APP_SECRET,
        "api_url": "http://sandbox.invalid/sync",
        "transport": sandbox.transport(),
        "clock": clock,
        "sleep": sleeps,
        "tracking_id": DEMO_TRACKING_ID,
        "country": "DE",
        "currency": "EUR",
        "language": "EN",
        "rng": random.Random(3),
    }
    settings.update(options)
    return AliExpressClient(**settings)  # type: ignore[arg-type]


@pytest.mark.parametrize("sign_method", ["sha256", "md5"])
def test_sandbox_accepts_both_sign_methods(
    sandbox: Sandbox, clock: FakeClock, sleeps: SleepLog, sign_method: str
) -> None:
    ids = list(sandbox.catalog.ids())[:45]
    with sandbox_client(sandbox, clock, sleeps, sign_method=sign_method) as client:
        found = client.product_details(ids)
    not_promotable = set(sandbox.catalog.not_promotable_ids())
    assert set(found) == {i for i in ids if i not in not_promotable}
    assert sandbox.call_count(PRODUCT_DETAIL) == 3  # 45 ids at 20 a batch
    assert all(p.price is not None and p.price.currency == "EUR" for p in found.values())


def test_sandbox_not_promotable_ids_are_absent_not_errors(
    sandbox: Sandbox, clock: FakeClock, sleeps: SleepLog
) -> None:
    hidden = list(sandbox.catalog.not_promotable_ids())[:3]
    with sandbox_client(sandbox, clock, sleeps) as client:
        assert client.product_details(hidden) == {}


def test_sandbox_every_method_answers(sandbox: Sandbox, clock: FakeClock, sleeps: SleepLog) -> None:
    with sandbox_client(sandbox, clock, sleeps) as client:
        categories = client.categories()
        assert len(categories) >= 10
        page = client.search(ProductQuery(keywords="earbuds", page_size=5))
        assert 0 < len(page) <= 5
        hot = client.search(HotProductQuery(page_size=3))
        assert len(hot) <= 3
        urls = [p.detail_url for p in page if p.detail_url]
        links = client.generate_links(LinkRequest(urls=urls))
        assert list(links) == urls and all(links.values())


def test_sandbox_ban_is_waited_out(sandbox: Sandbox, clock: FakeClock, sleeps: SleepLog) -> None:
    sandbox.inject("rate_limit", ban_seconds=2)
    with sandbox_client(sandbox, clock, sleeps) as client:
        assert client.categories()
    assert sleeps.waits and sleeps.waits[0] >= 2
    assert sandbox.call_count(CATEGORY_GET) == 2


@pytest.mark.parametrize("kind", ["server_error", "malformed", "timeout"])
def test_sandbox_transient_faults_are_retried(
    sandbox: Sandbox, clock: FakeClock, sleeps: SleepLog, kind: str
) -> None:
    sandbox.inject(kind, times=1)
    with sandbox_client(sandbox, clock, sleeps) as client:
        assert client.categories()
    assert sandbox.call_count(CATEGORY_GET) == 2


@pytest.mark.parametrize("kind", ["server_error", "malformed", "timeout"])
def test_sandbox_lasting_faults_end_as_gateway_unavailable(
    sandbox: Sandbox, clock: FakeClock, sleeps: SleepLog, kind: str
) -> None:
    sandbox.inject(kind)
    with sandbox_client(sandbox, clock, sleeps) as client, pytest.raises(GatewayUnavailable):
        client.categories()
    assert sandbox.call_count(CATEGORY_GET) == 3  # first try + max_retries


def test_sandbox_not_registered(sandbox: Sandbox, clock: FakeClock, sleeps: SleepLog) -> None:
    sandbox.inject("not_registered")
    with sandbox_client(sandbox, clock, sleeps) as client, pytest.raises(PublisherNotRegistered):
        client.categories()
    assert sandbox.call_count() == 1


def test_sandbox_signature_mismatch_is_not_retried(
    sandbox: Sandbox, clock: FakeClock, sleeps: SleepLog
) -> None:
    with (
        sandbox_client(sandbox, clock, sleeps, app_secret="wrong") as client,
        pytest.raises(IncompleteSignature),
    ):
        client.categories()
    assert sandbox.call_count() == 1


def test_sandbox_long_ban_reaches_the_caller(
    sandbox: Sandbox, clock: FakeClock, sleeps: SleepLog
) -> None:
    sandbox.inject("rate_limit", ban_seconds=600)
    with sandbox_client(sandbox, clock, sleeps) as client, pytest.raises(ApiCallLimit) as caught:
        client.categories()
    assert caught.value.ban_seconds >= 590
    assert sleeps.waits == []


def test_sandbox_images_are_kept_only_for_a_client_told_where_they_live(
    sandbox: Sandbox, clock: FakeClock, sleeps: SleepLog
) -> None:
    """Issue 8, row 2 in demo mode: the sandbox's own media folder is the one extra source of
    images, and only when the client is configured for it."""
    pid = "1005004757833857"
    with sandbox_client(sandbox, clock, sleeps) as client:
        plain = client.product_details([pid])[pid]
    with sandbox_client(sandbox, clock, sleeps, media_base_url="/sandbox-media/") as client:
        demo = client.product_details([pid])[pid]
    assert plain.images == () and plain.image is None
    assert demo.image == f"/sandbox-media/{pid}-0.svg"
    assert all(url.startswith("/sandbox-media/") for url in demo.images) and len(demo.images) > 1
    assert demo.promotion_link and demo.promotion_link.startswith("https://s.click.aliexpress.com/")
