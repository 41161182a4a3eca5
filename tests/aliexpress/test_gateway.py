"""client_for / check_connection, and the client against the in-process sandbox gateway."""

from __future__ import annotations

import random

import httpx
import pytest

from affsite.aliexpress.client import CATEGORY_GET, PRODUCT_DETAIL, AliExpressClient
from affsite.aliexpress.errors import (
    ApiCallLimit,
    GatewayUnavailable,
    IncompleteSignature,
    InvalidAppKey,
    PublisherNotRegistered,
)
from affsite.aliexpress.sandbox import DEMO_APP_KEY, DEMO_APP_SECRET, DEMO_TRACKING_ID, Sandbox
from affsite.clock import FakeClock
from affsite.gateway import SANDBOX_API_URL, check_connection, client_for
from affsite.settings import Settings

from .conftest import SleepLog
from .fakes import FakeGateway, envelope, signature_is_valid

CATEGORIES = {"categories": {"category": [{"category_id": 1, "category_name": "Home"}]}}


@pytest.fixture
def sandbox(clock: FakeClock) -> Sandbox:
    return Sandbox(clock=clock)


def sandbox_client(
    sandbox: Sandbox, clock: FakeClock, sleeps: SleepLog, **options: object
) -> AliExpressClient:
    settings = {
        "app_key": DEMO_APP_KEY,
        "app_secret": DEMO_APP_SECRET,
        "api_url": SANDBOX_API_URL,
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


# -- client_for ------------------------------------------------------------------------------


def test_demo_mode_talks_to_the_in_process_sandbox(sandbox: Sandbox, clock: FakeClock) -> None:
    with client_for(Settings(), sandbox=sandbox, clock=clock) as client:
        assert client.app_key == DEMO_APP_KEY
        assert client.tracking_id == DEMO_TRACKING_ID
        assert check_connection(client).ok
    assert sandbox.call_count(CATEGORY_GET) == 1


def test_demo_mode_with_another_api_url_uses_it_with_demo_credentials(clock: FakeClock) -> None:
    gateway = FakeGateway(envelope(CATEGORY_GET, CATEGORIES))
    settings = Settings(api_url="http://127.0.0.1:8765/sync", sign_method="md5")
    with client_for(settings, transport=httpx.MockTransport(gateway), clock=clock) as client:
        assert client.api_url == "http://127.0.0.1:8765/sync"
        assert check_connection(client).ok
    (form,) = gateway.forms
    assert form["app_key"] == DEMO_APP_KEY and form["sign_method"] == "md5"
    assert signature_is_valid(form, DEMO_APP_SECRET)
    assert str(gateway.requests[0].url) == "http://127.0.0.1:8765/sync"


def test_configured_credentials_and_settings_reach_the_client(clock: FakeClock) -> None:
    gateway = FakeGateway(envelope(CATEGORY_GET, CATEGORIES))
    settings = Settings(
        app_key="500000",
        app_secret="s3cret",
        tracking_id="blog",
        country="FR",
        currency="EUR",
        language="FR",
        batch_size=7,
        sign_method="md5",
    )
    with client_for(settings, transport=httpx.MockTransport(gateway), clock=clock) as client:
        assert (client.app_key, client.tracking_id, client.batch_size) == ("500000", "blog", 7)
        assert (client.country, client.currency, client.language) == ("FR", "EUR", "FR")
        assert client.api_url == settings.api_url
        client.categories()
    assert signature_is_valid(gateway.forms[0], "s3cret")


def test_client_for_passes_the_hooks(sandbox: Sandbox, clock: FakeClock) -> None:
    seen: list[str] = []
    with client_for(Settings(), sandbox=sandbox, clock=clock, before_attempt=seen.append) as client:
        client.categories()
    assert seen == [CATEGORY_GET]


# -- check_connection -------------------------------------------------------------------------


def test_check_reports_a_wrong_secret_with_its_fix(sandbox: Sandbox, clock: FakeClock) -> None:
    settings = Settings(
        app_key=DEMO_APP_KEY, app_secret="not-the-secret", api_url="http://127.0.0.1:1/sync"
    )
    with client_for(settings, transport=sandbox.transport(), clock=clock) as client:
        result = check_connection(client)
    assert not result.ok
    assert result.fix is not None and "App Secret" in result.fix
    assert "not-the-secret" not in result.message


def test_check_reports_an_unknown_app_key(sandbox: Sandbox, clock: FakeClock) -> None:
    settings = Settings(
        app_key="999999", app_secret=DEMO_APP_SECRET, api_url="http://127.0.0.1:1/sync"
    )
    with client_for(settings, transport=sandbox.transport(), clock=clock) as client:
        result = check_connection(client)
    assert not result.ok and result.fix == InvalidAppKey.fix


def test_check_reports_an_unreachable_gateway(clock: FakeClock) -> None:
    gateway = FakeGateway(httpx.ConnectError("refused"))
    settings = Settings(app_key="1", app_secret="2")
    with client_for(
        settings,
        transport=httpx.MockTransport(gateway),
        clock=clock,
        sleep=clock.sleep,
        max_retries=0,
    ) as client:
        result = check_connection(client)
    assert not result.ok
    assert "could not connect" in result.message and result.fix == GatewayUnavailable.fix


# -- against the sandbox ------------------------------------------------------------------


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
        page = client.query_products("earbuds", page_size=5)
        assert 0 < len(page) <= 5
        hot = client.hot_products(page_size=3)
        assert len(hot) <= 3
        urls = [p.detail_url for p in page if p.detail_url]
        links = client.generate_links(urls)
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
