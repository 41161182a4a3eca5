"""Which gateway and credentials the settings mean (``client_for``), the clients the catalog
builds with them, the sandbox's pictures in demo mode, and "Test connection".
"""

from __future__ import annotations

from pathlib import Path
from urllib.parse import parse_qsl

import httpx
import pytest

from affsite.aliexpress import GatewayUnavailable, InvalidAppKey, sign
from affsite.aliexpress.protocol import CATEGORY_GET
from affsite.aliexpress.sandbox import DEMO_APP_KEY, DEMO_APP_SECRET, DEMO_TRACKING_ID, Sandbox
from affsite.cache import open_stores
from affsite.catalog import Catalog, ClientHooks, Purpose, Status, client_factory
from affsite.catalog.connection import (
    SANDBOX_API_URL,
    check_connection,
    client_for,
    media_base_url,
)
from affsite.clock import FakeClock
from affsite.settings import Settings

LIVE = Settings(app_key="123456", app_secret="s" * 32, tracking_id="site")


class Recorder(httpx.BaseTransport):
    """Records each request's form, then passes it on (None: answers HTTP 500)."""

    def __init__(self, inner: httpx.BaseTransport | None) -> None:
        self.inner = inner
        self.requests: list[httpx.Request] = []
        self.forms: list[dict[str, str]] = []

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        self.forms.append(dict(parse_qsl(request.read().decode())))
        if self.inner is None:
            return httpx.Response(500)
        return self.inner.handle_request(request)


@pytest.fixture
def sandbox(clock: FakeClock) -> Sandbox:
    return Sandbox(clock=clock)


# -- client_for ------------------------------------------------------------------------------


def test_demo_mode_talks_to_the_in_process_sandbox(sandbox: Sandbox, clock: FakeClock) -> None:
    with client_for(Settings(), sandbox=sandbox, clock=clock) as client:
        assert client.app_key == DEMO_APP_KEY
        assert client.tracking_id == DEMO_TRACKING_ID
        assert check_connection(client).ok
    assert sandbox.call_count(CATEGORY_GET) == 1


def test_demo_mode_with_another_api_url_uses_it_with_demo_credentials(clock: FakeClock) -> None:
    sandbox = Sandbox(clock=clock)  # checks the signature with the demo secret
    gateway = Recorder(sandbox.transport())
    settings = Settings(api_url="http://127.0.0.1:8765/sync", sign_method="md5")
    with client_for(settings, transport=gateway, clock=clock) as client:
        assert client.api_url == "http://127.0.0.1:8765/sync"
        assert check_connection(client).ok
    (form,) = gateway.forms
    assert form["app_key"] == DEMO_APP_KEY and form["sign_method"] == "md5"
    assert str(gateway.requests[0].url) == "http://127.0.0.1:8765/sync"


def test_configured_credentials_and_settings_reach_the_client(clock: FakeClock) -> None:
    gateway = Recorder(None)
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
    with client_for(settings, transport=gateway, clock=clock, max_retries=0) as client:
        assert (client.app_key, client.tracking_id, client.batch_size) == ("500000", "blog", 7)
        assert (client.country, client.currency, client.language) == ("FR", "EUR", "FR")
        assert client.api_url == settings.api_url
        check_connection(client)
    form = gateway.forms[0]
    rest = {name: value for name, value in form.items() if name != "sign"}
    assert sign(rest, "s3cret", "md5") == form["sign"]


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
    def refuse(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("refused")

    settings = Settings(app_key="1", app_secret="2")
    with client_for(
        settings,
        transport=httpx.MockTransport(refuse),
        clock=clock,
        sleep=clock.sleep,
        max_retries=0,
    ) as client:
        result = check_connection(client)
    assert not result.ok
    assert "could not connect" in result.message and result.fix == GatewayUnavailable.fix


# -- demo mode and the catalog's clients ------------------------------------------------


def test_only_demo_mode_allows_the_sandboxs_pictures() -> None:
    assert media_base_url(LIVE) is None
    assert media_base_url(Settings()) == "/sandbox-media/"
    remote = Settings(api_url="http://127.0.0.1:8765/sync")
    assert media_base_url(remote) == "http://127.0.0.1:8765/media/"


def test_a_demo_client_talks_to_the_in_process_sandbox_and_keeps_its_pictures(
    clock: FakeClock,
) -> None:
    sandbox = Sandbox(clock=clock, media_base_url="/demo-media/")
    with client_for(Settings(), sandbox=sandbox, clock=clock) as client:
        assert (client.api_url, client.media_base_url) == (SANDBOX_API_URL, "/demo-media/")
        product = client.product_details(sandbox.catalog.promotable_ids()[:1])
    (found,) = product.values()
    assert found.image and found.image.startswith("/demo-media/")
    with client_for(LIVE, clock=clock) as client:
        assert client.media_base_url is None


def test_the_factory_wires_every_attempt_to_the_catalogs_hooks(clock: FakeClock) -> None:
    sandbox = Sandbox(clock=clock, tracking_ids=("affsite_demo",))
    seen: list[str] = []
    hooks = ClientHooks(
        before_attempt=lambda method: seen.append(f"before {method}"),
        after_attempt=lambda method, error: seen.append(f"after {method} {error}"),
        max_retries=0,
        clock=clock,
        sleep=clock.sleep,
    )
    settings = Settings(app_key=DEMO_APP_KEY, app_secret=DEMO_APP_SECRET, api_url=SANDBOX_API_URL)
    with client_factory(sandbox.transport())(settings, hooks) as client:
        client.categories()
    assert seen == ["before aliexpress.affiliate.category.get"] + [
        "after aliexpress.affiliate.category.get None"
    ]


def test_demo_products_keep_their_pictures_when_read_back_from_the_cache(
    tmp_path: Path,
) -> None:
    # Real time: the process-wide demo sandbox checks signatures against its own clock.
    catalog = Catalog(
        settings=Settings, stores=open_stores(tmp_path / "cache"), client_factory=client_factory()
    )
    # Another worker on the same cache: nothing decoded yet, it reads the product back.
    worker = Catalog(
        settings=Settings, stores=open_stores(tmp_path / "cache"), client_factory=client_factory()
    )
    pid = "1005004757833857"
    try:
        fetched = catalog.product(pid, purpose=Purpose.PAGE)
        cached = worker.product(pid, purpose=Purpose.PAGE)
    finally:
        catalog.close()
        worker.close()
    assert (fetched.status, cached.status) == (Status.MISS, Status.HIT)
    assert fetched.product and cached.product
    assert cached.product.image == fetched.product.image
    assert cached.product.image and cached.product.image.startswith("/sandbox-media/")
