"""The sandbox as a real HTTP server on 127.0.0.1 and its control endpoints (its command,
``affsite sandbox``, is tested in tests/cli/test_sandbox.py)."""

from __future__ import annotations

import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest

from affsite.aliexpress.sandbox import Sandbox, ServerHandle, serve

from .helpers import result_of, signed

pytestmark = pytest.mark.slow
DETAIL = "aliexpress.affiliate.productdetail.get"


@pytest.fixture
def running() -> Iterator[tuple[Sandbox, ServerHandle]]:
    sandbox = Sandbox()
    with serve(sandbox) as handle:
        yield sandbox, handle


def now_ms() -> int:
    return int(time.time() * 1000)


def test_server_answers_signed_calls_over_http(running: tuple[Sandbox, ServerHandle]) -> None:
    sandbox, handle = running
    assert handle.url == f"http://127.0.0.1:{handle.port}"
    form = signed(DETAIL, timestamp_ms=now_ms(), sign_method="md5", product_ids="33006951782")
    with httpx.Client(base_url=handle.url, timeout=10) as http:
        response = http.post("/sync", data=form)
        resp = result_of(response.json(), DETAIL)
        (mug,) = resp["result"]["products"]["product"]
        image = http.get(mug["product_main_image_url"])
    assert response.headers["content-type"].startswith("application/json")
    # Image URLs point back at this server, so any client can show them.
    assert mug["product_main_image_url"].startswith(f"{handle.url}/media/")
    assert image.status_code == 200 and image.headers["content-type"] == "image/svg+xml"
    assert sandbox.call_count(DETAIL) == 1


def test_server_counts_concurrent_calls_exactly(running: tuple[Sandbox, ServerHandle]) -> None:
    sandbox, handle = running

    def one(_: int) -> int:
        form = signed("aliexpress.affiliate.category.get", timestamp_ms=now_ms())
        return httpx.post(f"{handle.url}/sync", data=form, timeout=10).status_code

    with ThreadPoolExecutor(max_workers=6) as pool:
        statuses = list(pool.map(one, range(30)))
    assert statuses == [200] * 30
    assert sandbox.call_count("aliexpress.affiliate.category.get") == 30


def test_control_endpoints_drive_a_sandbox_out_of_process(
    running: tuple[Sandbox, ServerHandle],
) -> None:
    _, handle = running
    form = signed("aliexpress.affiliate.category.get", timestamp_ms=now_ms())
    with httpx.Client(base_url=handle.url, timeout=10) as http:
        http.post("/sync", data=form)
        stats = http.get("/_sandbox/stats").json()
        assert stats["calls"] == 1
        assert stats["by_method"] == {"aliexpress.affiliate.category.get": 1}
        injected = http.post("/_sandbox/faults", json={"kind": "server_error", "status": 503,
                                                       "times": 1})  # fmt: skip
        assert injected.status_code == 200
        assert http.post("/sync", data=form).status_code == 503
        assert http.post("/sync", data=form).status_code == 200
        refused = http.post("/_sandbox/faults", json={"kind": "volcano"})
        assert refused.status_code == 400 and "volcano" in refused.json()["error"]
        http.post("/_sandbox/faults", json={"kind": "rate_limit", "ban_seconds": 60})
        assert http.post("/sync", data=form).json()["error_response"]["code"] == "ApiCallLimit"
        reset = http.post("/_sandbox/reset").json()
        assert reset["calls"] == 0 and reset["faults"] == []
        assert "error_response" not in http.post("/sync", data=form).json()
        ids = http.get("/_sandbox/catalog").json()
        assert "33006951782" in ids["promotable"] and ids["not_promotable"]


def test_server_timeout_fault_hangs_until_the_client_gives_up(
    running: tuple[Sandbox, ServerHandle],
) -> None:
    sandbox, handle = running
    sandbox.inject("timeout", seconds=30, times=1)
    form = signed("aliexpress.affiliate.category.get", timestamp_ms=now_ms())
    with pytest.raises(httpx.ReadTimeout):
        httpx.post(f"{handle.url}/sync", data=form, timeout=0.5)
    sandbox.clear_faults()  # wakes the hanging request so shutdown is quick
