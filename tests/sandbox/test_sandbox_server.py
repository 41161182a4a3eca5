"""The sandbox as a real HTTP server on 127.0.0.1, its control endpoints, and its CLI command."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest

from affsite.aliexpress.sandbox import DEMO_APP_KEY, DEMO_APP_SECRET, Sandbox, ServerHandle, serve

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


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def _affsite_command() -> list[str]:
    script = Path(sys.executable).with_name("affsite")
    if script.exists():
        return [str(script)]
    return [sys.executable, "-c", "from affsite.cli import main; main()"]


def test_cli_command_serves_until_interrupted() -> None:
    port = _free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("AFFSITE_")}
    proc = subprocess.Popen(
        [*_affsite_command(), "sandbox", "--port", str(port)],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env,
    )  # fmt: skip
    try:
        stats = None
        deadline = time.monotonic() + 60
        while stats is None and time.monotonic() < deadline and proc.poll() is None:
            try:
                stats = httpx.get(f"http://127.0.0.1:{port}/_sandbox/stats", timeout=2).json()
            except httpx.TransportError:
                time.sleep(0.2)
        assert stats == {"calls": 0, "by_method": {}, "faults": []}, proc.poll()
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=20)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()
    assert proc.returncode == 0, err
    assert f"AFFSITE_API_URL=http://127.0.0.1:{port}/sync" in out
    assert f"AFFSITE_APP_KEY={DEMO_APP_KEY}" in out
    assert f"AFFSITE_APP_SECRET={DEMO_APP_SECRET}" in out
