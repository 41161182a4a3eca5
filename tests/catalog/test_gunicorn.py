"""The production shape end to end: ``affsite serve`` (gunicorn, two worker processes) in front
of a sandbox gateway served over real HTTP on 127.0.0.1. Cold pages asked for by many visitors
at once still cost one gateway call per batch, and an outage is answered from the cache.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest

from affsite.aliexpress.sandbox import DEMO_APP_KEY, DEMO_APP_SECRET, Sandbox
from affsite.aliexpress.sandbox.server import ServerHandle, serve

DETAIL = "aliexpress.affiliate.productdetail.get"
TRACKING_ID = "gunicorn_site"

pytestmark = pytest.mark.slow


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@pytest.fixture
def gateway() -> Iterator[tuple[Sandbox, ServerHandle]]:
    sandbox = Sandbox(tracking_ids=(TRACKING_ID,))
    with serve(sandbox) as handle:
        yield sandbox, handle


@pytest.fixture
def site(gateway: tuple[Sandbox, ServerHandle], tmp_path: Path) -> Iterator[str]:
    """``affsite serve`` with 2 workers x 4 threads, configured for the sandbox server."""
    _sandbox, handle = gateway
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("AFFSITE_")}
    env.update(
        {
            "AFFSITE_INSTANCE": str(tmp_path / "instance"),
            "AFFSITE_API_URL": handle.sync_url,
            "AFFSITE_APP_KEY": DEMO_APP_KEY,
            "AFFSITE_APP_SECRET": DEMO_APP_SECRET,
            "AFFSITE_TRACKING_ID": TRACKING_ID,
            "AFFSITE_RATE_LIMIT": "50",
        }
    )
    command = [
        sys.executable,
        "-c",
        "from affsite.cli import main; main()",
        "serve",
        "--bind",
        f"127.0.0.1:{port}",
        "--workers",
        "2",
        "--threads",
        "4",
    ]
    log = (tmp_path / "serve.log").open("w+")
    process = subprocess.Popen(command, env=env, cwd=tmp_path, stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        for _ in range(200):  # bounded: at most ~20 s for both workers to boot
            if process.poll() is not None:
                break
            try:
                with urllib.request.urlopen(f"{url}/healthz", timeout=2) as answer:
                    if json.load(answer)["demo_mode"] is False:
                        break
            except OSError:
                time.sleep(0.1)
        log.seek(0)
        assert process.poll() is None, log.read()
        yield url
    finally:
        process.terminate()
        process.wait(timeout=30)
        log.close()


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
