"""A fake network for the short-link follower: DNS answers and HTTP routes played by hand.

Every request is recorded with the host name it was meant for (the ``Host`` header) and the
address it was actually sent to (the URL), so tests can prove a forbidden target never saw one.
"""

from __future__ import annotations

import socket
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

import httpx
import pytest

from affsite.clock import FakeClock
from affsite.product_ids import MemoryCache, ShortLinkFollower

Route = Callable[[httpx.Request], httpx.Response]

# Global (public) addresses for the fake AliExpress hosts; nothing is ever sent to them.
PUBLIC_ADDRESS = "47.246.0.10"
ALIEXPRESS_HOSTS = (
    "s.click.aliexpress.com",
    "a.aliexpress.com",
    "click.aliexpress.com",
    "ali.click",
    "star.aliexpress.com",
    "www.aliexpress.com",
    "aliexpress.ru",
    "pt.aliexpress.com",
    "www.aliexpress.us",
)


@dataclass
class SentRequest:
    host: str  # the name in the Host header
    address: str  # where the request was actually sent
    path: str
    sni: str | None


@dataclass
class FakeNetwork:
    dns: dict[str, list[str]] = field(
        default_factory=lambda: {host: [PUBLIC_ADDRESS] for host in ALIEXPRESS_HOSTS}
    )
    routes: dict[tuple[str, str], Route] = field(default_factory=dict)
    lookups: list[str] = field(default_factory=list)
    sent: list[SentRequest] = field(default_factory=list)

    def resolve_host(self, host: str, port: int) -> list[str]:
        self.lookups.append(host)
        if host not in self.dns:
            raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")
        return self.dns[host]

    def handle(self, request: httpx.Request) -> httpx.Response:
        host = request.headers["host"]
        sni = request.extensions.get("sni_hostname")
        self.sent.append(SentRequest(host, request.url.host, request.url.path, sni))
        route = self.routes.get((host, request.url.path))
        if route is None:
            return httpx.Response(404, text="no such page")
        return route(request)

    def redirect(self, host: str, path: str, location: str, status: int = 302) -> None:
        self.routes[(host, path)] = lambda _request: httpx.Response(
            status, headers={"Location": location}
        )

    def page(self, host: str, path: str, body: str, status: int = 200) -> None:
        self.routes[(host, path)] = lambda _request: httpx.Response(
            status, text=body, headers={"Content-Type": "text/html"}
        )

    def hosts_contacted(self) -> list[str]:
        return [sent.host for sent in self.sent]

    def addresses_contacted(self) -> list[str]:
        return [sent.address for sent in self.sent]


@pytest.fixture
def network() -> FakeNetwork:
    return FakeNetwork()


@pytest.fixture
def make_follower(
    network: FakeNetwork, clock: FakeClock
) -> Iterator[Callable[..., ShortLinkFollower]]:
    made: list[ShortLinkFollower] = []

    def make(**overrides: object) -> ShortLinkFollower:
        options: dict[str, object] = {
            "transport": httpx.MockTransport(network.handle),
            "resolve_host": network.resolve_host,
            "clock": clock,
        }
        options.update(overrides)
        follower = ShortLinkFollower(**options)  # type: ignore[arg-type]
        made.append(follower)
        return follower

    yield make
    for follower in made:
        follower.close()


@pytest.fixture
def cache(clock: FakeClock) -> MemoryCache:
    return MemoryCache(clock=clock)
