"""The production shape end to end: ``affsite serve`` (gunicorn, two worker processes) in front
of a sandbox gateway served over real HTTP on 127.0.0.1. Cold pages asked for by many visitors
at once still cost one gateway call per batch, and an outage is answered from the cache.
"""

from __future__ import annotations

import json
import urllib.request
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest

from affsite.aliexpress.sandbox import DEMO_APP_KEY, DEMO_APP_SECRET, Sandbox
from affsite.aliexpress.sandbox.server import ServerHandle, serve

DETAIL = "aliexpress.affiliate.productdetail.get"
TRACKING_ID = "gunicorn_site"

pytestmark = pytest.mark.slow


@pytest.fixture
def gateway() -> Iterator[tuple[Sandbox, ServerHandle]]:
    sandbox = Sandbox(tracking_ids=(TRACKING_ID,))
    with serve(sandbox) as handle:
        yield sandbox, handle


@pytest.fixture
def site(
    gateway: tuple[Sandbox, ServerHandle], tmp_path: Path, affsite_serve: Callable[..., Any]
) -> str:
    """``affsite serve`` with 2 workers x 4 threads, configured for the sandbox server."""
    _sandbox, handle = gateway
    env = {
        "AFFSITE_INSTANCE": str(tmp_path / "instance"),
        "AFFSITE_API_URL": handle.sync_url,
        "AFFSITE_APP_KEY": DEMO_APP_KEY,
        "AFFSITE_APP_SECRET": DEMO_APP_SECRET,
        "AFFSITE_TRACKING_ID": TRACKING_ID,
        "AFFSITE_RATE_LIMIT": "50",
    }
    url: str = affsite_serve(env, "--workers", "2", "--threads", "4").url
    return url


def get_products(url: str, ids: list[str]) -> tuple[list[dict[str, Any]], str]:
    with urllib.request.urlopen(f"{url}/api/v1/products?ids={','.join(ids)}", timeout=30) as r:
        items: list[dict[str, Any]] = json.load(r)
        return items, r.headers["X-Cache"]


def test_many_visitors_on_a_cold_page_cost_one_call_per_batch(
    site: str, gateway: tuple[Sandbox, ServerHandle]
) -> None:
    sandbox, _handle = gateway
    sandbox.inject("slow", seconds=0.5)  # every visitor arrives while the first fetch runs
    ids = sandbox.catalog.promotable_ids()[:45]

    with ThreadPoolExecutor(max_workers=12) as pool:
        answers = list(pool.map(lambda _n: get_products(site, ids), range(12)))

    assert sandbox.call_count(DETAIL) == 3  # ceil(45 / 20), shared by both workers
    for items, _status in answers:
        assert [item["id"] for item in items] == ids
        assert all(item["available"] for item in items)
        # Promotion links are made only for the site's (registered) tracking id.
        assert all(item["affiliate_url"].startswith("https://s.click.") for item in items)
    items, status = get_products(site, ids)
    assert status == "HIT"
    assert sandbox.call_count(DETAIL) == 3


def test_a_gateway_outage_is_answered_from_the_cache(
    site: str, gateway: tuple[Sandbox, ServerHandle]
) -> None:
    sandbox, _handle = gateway
    ids = sandbox.catalog.promotable_ids()[:5]
    warm, _status = get_products(site, ids)
    sandbox.inject("server_error", status=503)
    cold = sandbox.catalog.promotable_ids()[100:102]

    items, status = get_products(site, ids + cold)

    assert items[:5] == warm
    assert [item["available"] for item in items[5:]] == [False, False]
    assert all(item["reason"] for item in items[5:])
    assert status == "FALLBACK"
