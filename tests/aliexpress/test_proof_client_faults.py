"""Fault injection against the API client (hardening.md 2.5): hung, dripping, huge, closed.

The slow cases use a real HTTP server on 127.0.0.1 and measure wall time, because what they
prove is that a misbehaving gateway cannot hold a worker longer than the client's deadline.
Every server thread is bounded in time; no test sleeps beyond a few seconds.
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import httpx
import pytest

from affsite.aliexpress.client import MAX_BODY_BYTES, AliExpressClient
from affsite.aliexpress.errors import GatewayUnavailable
from affsite.aliexpress.protocol import CATEGORY_GET

from .conftest import MakeClient, SleepLog
from .fakes import APP_KEY, SECRET, FakeGateway, envelope, error_body, signature_is_valid

CATEGORIES = {"categories": {"category": [{"category_id": 1, "category_name": "Home"}]}}
SERVER_LIFETIME = 10.0  # no misbehaving handler runs longer than this
# Wall-time bounds below sit far under SERVER_LIFETIME (what a client without deadlines would
# take) and well over the deadline, so a busy machine does not make them fail.
SLACK = 2.0


@dataclass
class Misbehaving:
    """What the loopback gateway does with each POST, and how many it received."""

    mode: str = "hang"  # "hang": never answers; "drip": headers, then one byte at a time
    requests: int = 0
    release: threading.Event = field(default_factory=threading.Event)


def _handler(state: Misbehaving) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            state.requests += 1
            self.rfile.read(int(self.headers.get("Content-Length", "0")))
            end = time.monotonic() + SERVER_LIFETIME
            if state.mode == "hang":
                state.release.wait(SERVER_LIFETIME)
                return
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", "1000000")
            self.end_headers()
            try:
                while time.monotonic() < end and not state.release.is_set():
                    self.wfile.write(b" ")
                    self.wfile.flush()
                    state.release.wait(0.1)
            except OSError:  # the client gave up: good
                return

        def log_message(self, format: str, *args: object) -> None:
            pass

    return Handler


@pytest.fixture
def misbehaving() -> Iterator[tuple[Misbehaving, str]]:
    state = Misbehaving()
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(state))
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield state, f"http://127.0.0.1:{server.server_address[1]}/sync"
    finally:
        state.release.set()
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


def real_client(api_url: str, **options: object) -> AliExpressClient:
    settings: dict[str, object] = {
        "app_key": APP_KEY,
        "app_secret": SECRET,
        "api_url": api_url,
        "timeout": httpx.Timeout(0.3),
        "deadline": 1.0,
        "max_retries": 2,
    }
    settings.update(options)
    return AliExpressClient(**settings)  # type: ignore[arg-type]


def timed_failure(client: AliExpressClient) -> tuple[float, GatewayUnavailable]:
    started = time.monotonic()
    with client, pytest.raises(GatewayUnavailable) as caught:
        client.categories()
    return time.monotonic() - started, caught.value


@pytest.mark.slow
def test_a_gateway_that_never_answers_costs_at_most_the_deadline(
    misbehaving: tuple[Misbehaving, str],
) -> None:
    state, url = misbehaving
    elapsed, error = timed_failure(real_client(url))
    # The deadline (1.0 s) plus at most one per-attempt timeout (0.3 s), plus scheduling slack.
    assert elapsed < 1.0 + 0.3 + SLACK, elapsed
    assert "did not answer in time" in str(error)
    assert 1 <= state.requests <= 3  # bounded retries, never more than 1 + max_retries


@pytest.mark.slow
def test_a_slow_drip_body_cannot_outlast_the_deadline(
    misbehaving: tuple[Misbehaving, str],
) -> None:
    state, url = misbehaving
    state.mode = "drip"
    elapsed, _ = timed_failure(real_client(url, max_retries=0))
    assert elapsed < 1.0 + 0.3 + SLACK, elapsed


def test_a_closed_port_fails_at_once_with_a_plain_reason() -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    # The port is free again: nothing listens there.
    elapsed, error = timed_failure(
        real_client(f"http://127.0.0.1:{port}/sync", max_retries=0, deadline=5.0)
    )
    assert elapsed < 3.0  # the deadline was 5 s: nothing was waited for
    assert "could not connect to 127.0.0.1" in str(error)
    assert error.fix


def test_a_huge_body_is_cut_off_at_the_byte_cap(make_client: MakeClient) -> None:
    produced: list[int] = []
    chunk = b" " * 65_536

    def endless() -> Iterator[bytes]:
        for _ in range(1_000):  # 64 MB if anyone read it all
            produced.append(len(chunk))
            yield chunk

    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, content=endless(), headers={"Content-Type": "text/plain"})

    with pytest.raises(GatewayUnavailable) as caught:
        make_client(handler, max_retries=0).categories()
    assert "far larger than expected" in str(caught.value)
    assert sum(produced) <= MAX_BODY_BYTES + 2 * len(chunk)


def test_a_one_second_ban_is_retried_once_with_a_new_timestamp_and_signature(
    make_client: MakeClient, sleeps: SleepLog
) -> None:
    banned = error_body(
        "ApiCallLimit", "Api access frequency exceeds the limit. this ban will last 1 seconds"
    )
    gateway = FakeGateway(banned, envelope(CATEGORY_GET, CATEGORIES))
    attempts: list[str] = []
    client = make_client(gateway, before_attempt=attempts.append)

    assert [c.name for c in client.categories()] == ["Home"]

    first, second = gateway.forms
    assert int(second["timestamp"]) - int(first["timestamp"]) >= 1000
    assert first["sign"] != second["sign"]
    assert signature_is_valid(first) and signature_is_valid(second)
    assert sleeps.waits and sleeps.waits[0] >= 1.0
    assert attempts == [CATEGORY_GET, CATEGORY_GET]  # each attempt passes the quota hook
