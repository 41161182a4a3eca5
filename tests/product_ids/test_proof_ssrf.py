"""SSRF proofs with a real target: a counting HTTP server on 127.0.0.1 that must never be hit.

The other short-link tests play the whole network with a mock transport. Here the transport
answers only the (fake, public) AliExpress address from the played script and passes every
other request to the real network stack, so a follower that was fooled into requesting the
loopback server would really reach it; the server's own counter proves it was never asked.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import httpx
import pytest

from affsite.clock import FakeClock
from affsite.product_ids import ShortLinkFollower, resolve

from .conftest import PUBLIC_ADDRESS, FakeNetwork

G = "1005001513148147"
SHORT = "https://s.click.aliexpress.com/e/_DdGYnJf"
SHORT_HOST, SHORT_PATH = "s.click.aliexpress.com", "/e/_DdGYnJf"

MakeFollower = Callable[..., ShortLinkFollower]


class Target:
    """A loopback HTTP server that counts every request it receives."""

    def __init__(self) -> None:
        self.hits = 0
        target = self

        class Handler(BaseHTTPRequestHandler):
            def _answer(self) -> None:
                target.hits += 1
                body = f"internal secret; go to https://www.aliexpress.com/item/{G}.html"
                self.send_response(302)
                self.send_header("Location", f"https://www.aliexpress.com/item/{G}.html")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body.encode())

            do_GET = do_POST = do_HEAD = _answer

            def log_message(self, format: str, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.server.server_address[1]


@pytest.fixture
def target() -> Iterator[Target]:
    served = Target()
    thread = threading.Thread(
        target=served.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
    )
    thread.start()
    try:
        yield served
    finally:
        served.server.shutdown()
        served.server.server_close()
        thread.join(timeout=5)


class PlayedOrReal(httpx.BaseTransport):
    """Requests to the fake AliExpress address are played; anything else really goes out."""

    def __init__(self, network: FakeNetwork) -> None:
        self.network = network
        self.real = httpx.HTTPTransport()
        self.passed_on: list[str] = []

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        if request.url.host == PUBLIC_ADDRESS:
            return self.network.handle(request)
        self.passed_on.append(str(request.url))
        return self.real.handle_request(request)

    def close(self) -> None:
        self.real.close()


@pytest.fixture
def wired(
    network: FakeNetwork, make_follower: MakeFollower
) -> Iterator[tuple[ShortLinkFollower, PlayedOrReal]]:
    transport = PlayedOrReal(network)
    try:
        yield make_follower(transport=transport), transport
    finally:
        transport.close()


def test_the_wiring_does_reach_the_target_when_asked_to(target: Target) -> None:
    # The control experiment: the real stack used below does deliver to the target.
    with httpx.Client(transport=httpx.HTTPTransport()) as client:
        client.get(f"http://127.0.0.1:{target.port}/control")
    assert target.hits == 1


@pytest.mark.parametrize(
    "location",
    [
        "http://127.0.0.1:{port}/steal",
        "http://localhost:{port}/steal",
        "http://127.1:{port}/steal",
        "http://2130706433:{port}/steal",
        "http://0x7f.1:{port}/steal",
        "http://[::ffff:127.0.0.1]:{port}/steal",
        "http://127.0.0.1:{port}\\@a.aliexpress.com/",
        "http://a.aliexpress.com@127.0.0.1:{port}/",
        "http://a.aliexpress.com:{port}/steal",
        "//127.0.0.1:{port}/steal",
    ],
)
def test_a_short_link_redirecting_to_the_loopback_target_never_reaches_it(
    location: str,
    target: Target,
    network: FakeNetwork,
    wired: tuple[ShortLinkFollower, PlayedOrReal],
) -> None:
    follower, transport = wired
    network.redirect(SHORT_HOST, SHORT_PATH, location.format(port=target.port))

    result = follower.follow(SHORT)

    assert result.id is None and result.error
    assert target.hits == 0
    assert transport.passed_on == []
    assert network.hosts_contacted() == [SHORT_HOST]


def test_an_aliexpress_name_resolving_to_loopback_never_reaches_it(
    target: Target, network: FakeNetwork, wired: tuple[ShortLinkFollower, PlayedOrReal]
) -> None:
    follower, transport = wired
    network.dns["rebind.aliexpress.com"] = ["127.0.0.1"]
    network.redirect(SHORT_HOST, SHORT_PATH, "http://rebind.aliexpress.com/steal")

    result = follower.follow(SHORT)

    assert result.error is not None and "private or local network address" in result.error
    assert target.hits == 0 and transport.passed_on == []


def test_a_loop_through_allowed_hosts_ends_without_touching_the_target(
    target: Target, network: FakeNetwork, wired: tuple[ShortLinkFollower, PlayedOrReal]
) -> None:
    follower, transport = wired
    network.redirect(SHORT_HOST, SHORT_PATH, "https://a.aliexpress.com/_round")
    network.redirect("a.aliexpress.com", "/_round", "https://click.aliexpress.com/e/_again")
    network.redirect("click.aliexpress.com", "/e/_again", SHORT)

    result = follower.follow(SHORT)

    assert result.error is not None and "loop" in result.error
    assert len(network.sent) == 3
    assert target.hits == 0 and transport.passed_on == []


@pytest.mark.parametrize(
    "text",
    [
        "http://127.0.0.1:{port}/item/1005001513148147.html",
        "http://localhost:{port}/e/_abc",
        "https://s.click.aliexpress.com.127.0.0.1.nip.io:{port}/e/_abc",
    ],
)
def test_pasted_loopback_addresses_are_refused_before_any_request(
    text: str, target: Target, wired: tuple[ShortLinkFollower, PlayedOrReal]
) -> None:
    follower, transport = wired

    result = resolve(text.format(port=target.port), follower=follower)

    assert result.id is None and result.error
    assert target.hits == 0 and transport.passed_on == []


# --- bounded time: short per-request timeouts and one deadline over every byte ------------------


def test_every_hop_is_sent_with_short_connect_and_read_timeouts(
    network: FakeNetwork, make_follower: MakeFollower
) -> None:
    seen: list[dict[str, float]] = []

    def record(request: httpx.Request) -> httpx.Response:
        seen.append(request.extensions["timeout"])
        return network.handle(request)

    network.redirect(SHORT_HOST, SHORT_PATH, "https://a.aliexpress.com/_next")
    network.redirect("a.aliexpress.com", "/_next", f"https://www.aliexpress.com/item/{G}.html")

    result = make_follower(transport=httpx.MockTransport(record)).follow(SHORT)

    assert result.id == G
    assert len(seen) == 2
    for timeouts in seen:
        assert 0 < timeouts["connect"] <= 3
        assert 0 < timeouts["read"] <= 5


def test_a_body_dripping_slowly_is_abandoned_at_the_deadline(
    make_follower: MakeFollower, clock: FakeClock
) -> None:
    started = clock()
    sent: list[int] = []

    def drip() -> Iterator[bytes]:
        for _ in range(1_000):  # 1,000 s of dripping if nobody stopped reading
            clock.advance(1.0)  # each small chunk arrives within the read timeout
            sent.append(1)
            yield b"<p>still loading</p>"

    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, content=drip(), headers={"Content-Type": "text/html"})

    result = make_follower(transport=httpx.MockTransport(handler)).follow(SHORT)

    assert result.id is None and result.error
    assert clock() - started <= 10 + 1  # the follower's total deadline, one chunk late at most
    assert len(sent) <= 11
