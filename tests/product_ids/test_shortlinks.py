"""Short links followed over a played network: the chains that resolve, and every SSRF refusal.

Each refusal test also proves the forbidden target saw no request (and, where it matters, no
DNS lookup either): the fake network records the host each request was for and the address it
was sent to.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

import httpx
import pytest

from affsite.clock import FakeClock
from affsite.product_ids import (
    FAILURE_TTL,
    REGIONAL_OFFSET,
    SUCCESS_TTL,
    MemoryCache,
    ShortLinkFollower,
)

from .conftest import PUBLIC_ADDRESS, FakeNetwork

G = "1005001513148147"
US = str(int(G) + REGIONAL_OFFSET)
SHORT = "https://s.click.aliexpress.com/e/_DdGYnJf"
SHORT_HOST, SHORT_PATH = "s.click.aliexpress.com", "/e/_DdGYnJf"
LANDING = (
    f"https://pt.aliexpress.com/item/{G}.html?aff_fcid=abc&tt=CPS_NORMAL&aff_fsk=_DdGYnJf"
    "&aff_platform=shareComponent-detail&sk=_DdGYnJf&afSmartRedirect=y"
)

MakeFollower = Callable[..., ShortLinkFollower]


# ---------------------------------------------------------------------------------------------
# Chains that end on a product


def test_a_redirect_to_a_product_page_resolves_with_one_request(
    network: FakeNetwork, make_follower: MakeFollower
) -> None:
    network.redirect(SHORT_HOST, SHORT_PATH, LANDING)

    result = make_follower().follow(SHORT)

    assert (result.id, result.form, result.error) == (G, "short_link", None)
    assert network.hosts_contacted() == [SHORT_HOST]


def test_the_first_url_with_an_id_wins_before_a_geo_redirect(
    network: FakeNetwork, make_follower: MakeFollower
) -> None:
    network.redirect(SHORT_HOST, SHORT_PATH, f"https://www.aliexpress.com/item/{G}.html")
    network.redirect("www.aliexpress.com", f"/item/{G}.html", "https://www.aliexpress.us/x")

    assert make_follower().follow(SHORT).id == G
    assert network.hosts_contacted() == [SHORT_HOST]


def test_a_chain_through_a_share_wrapper_resolves(
    network: FakeNetwork, make_follower: MakeFollower
) -> None:
    wrapper = (
        "https://star.aliexpress.com/share/share.htm?platform=AE&redirectUrl="
        f"https%3A%2F%2Fwww.aliexpress.com%2Fitem%2F{G}.html"
    )
    network.redirect("ali.click", "/AbCdEfG", wrapper)

    assert make_follower().follow("https://ali.click/AbCdEfG").id == G


def test_a_chain_through_other_aliexpress_pages_and_short_links(
    network: FakeNetwork, make_follower: MakeFollower
) -> None:
    network.redirect(SHORT_HOST, SHORT_PATH, "https://a.aliexpress.com/_second")
    network.redirect("a.aliexpress.com", "/_second", "https://www.aliexpress.com/landing/x.htm")
    network.redirect("www.aliexpress.com", "/landing/x.htm", f"//aliexpress.ru/item/{G}.html", 301)

    result = make_follower().follow(SHORT)

    assert result.id == G
    assert network.hosts_contacted() == [SHORT_HOST, "a.aliexpress.com", "www.aliexpress.com"]


@pytest.mark.parametrize(
    "body",
    [
        f'<html><head><meta http-equiv="refresh" content="0; url=https://www.aliexpress.com/item/{G}.html"></head></html>',
        f"<script>window.location.href='https:\\/\\/www.aliexpress.com\\/item\\/{G}.html'</script>",
        f'<script>location.replace("https://m.aliexpress.com/item/{G}.html")</script>',
        f'<link rel="canonical" href="https://www.aliexpress.com/item/{G}.html">',
        f'<meta property="og:url" content="https://www.aliexpress.com/item/{G}.html?a=1&amp;b=2">',
    ],
    ids=["meta-refresh", "window-location", "location-replace", "canonical", "og-url"],
)
def test_a_page_that_redirects_in_html_resolves(
    body: str, network: FakeNetwork, make_follower: MakeFollower
) -> None:
    network.page(SHORT_HOST, SHORT_PATH, body)

    assert make_follower().follow(SHORT).id == G


@pytest.mark.timeout(10)
def test_a_landing_page_shaped_to_make_html_patterns_backtrack_is_read_in_linear_time(
    network: FakeNetwork, make_follower: MakeFollower
) -> None:
    start, end = '<meta http-equiv="refresh" content="', 'x">'
    network.page(SHORT_HOST, SHORT_PATH, start + " " * (64 * 1024 - len(start) - len(end)) + end)

    result = make_follower().follow(SHORT)

    assert result.id is None and result.error


def test_requests_go_to_the_checked_address_with_the_name_in_host_and_sni(
    network: FakeNetwork, make_follower: MakeFollower
) -> None:
    network.redirect(SHORT_HOST, SHORT_PATH, LANDING)

    make_follower().follow("https://s.click.aliexpress.com/e/_DdGYnJf")

    [sent] = network.sent
    assert (sent.host, sent.address, sent.sni) == (SHORT_HOST, PUBLIC_ADDRESS, SHORT_HOST)
    assert network.lookups == [SHORT_HOST]


# ---------------------------------------------------------------------------------------------
# SSRF: redirects to places a server must never be sent


@pytest.mark.parametrize(
    "url",
    [
        "https://evil.example/e/_abc",
        "http://127.0.0.1/e/_abc",
        "https://www.aliexpress.com@evil.example/",
        "file:///etc/passwd",
    ],
)
def test_follow_never_requests_an_address_that_is_not_aliexpress(
    url: str, network: FakeNetwork, make_follower: Callable[..., ShortLinkFollower]
) -> None:
    result = make_follower().follow(url)

    assert result.id is None and result.error
    assert network.sent == [] and network.lookups == []


def test_a_public_ipv6_answer_is_used_for_the_connection(
    network: FakeNetwork, make_follower: Callable[..., ShortLinkFollower]
) -> None:
    network.dns["a.aliexpress.com"] = ["2a00:1450:4001:80b::200e"]
    network.redirect(
        "a.aliexpress.com", "/_mKjL9Cq", "https://www.aliexpress.com/item/123456789.html"
    )

    result = make_follower().follow("https://a.aliexpress.com/_mKjL9Cq")

    assert result.id == "123456789"
    assert network.addresses_contacted() == ["2a00:1450:4001:80b::200e"]


@pytest.mark.parametrize(
    "location",
    [
        "http://127.0.0.1/",
        "http://127.0.0.1:8080/admin",
        "http://127.1/",
        "http://0x7f.1/",
        "http://2130706433/",
        "http://0177.0.0.1/",
        "http://10.0.0.5/internal",
        "http://192.168.1.1/",
        "http://172.16.0.1/",
        "http://169.254.169.254/latest/meta-data/",
        "http://100.64.0.1/",
        "http://0.0.0.0/",
        "http://[::1]/",
        "http://[::ffff:127.0.0.1]/",
        "http://[::ffff:7f00:1]/",
        "http://[fe80::1]/",
        "//127.0.0.1/",
    ],
)
def test_redirects_to_private_addresses_are_refused_without_a_request(
    location: str, network: FakeNetwork, make_follower: MakeFollower
) -> None:
    network.redirect(SHORT_HOST, SHORT_PATH, location)

    result = make_follower().follow(SHORT)

    assert result.id is None
    assert result.error is not None and "private or local network address" in result.error
    assert network.hosts_contacted() == [SHORT_HOST]
    assert network.addresses_contacted() == [PUBLIC_ADDRESS]
    assert network.lookups == [SHORT_HOST]


@pytest.mark.parametrize(
    ("location", "reason"),
    [
        ("https://evil.com\\@a.aliexpress.com/", "backslash"),
        ("https://evil.com\\.a.aliexpress.com/", "backslash"),
        ("https://a.aliexpress.com@evil.com/", "user name or password"),
        ("https://a.aliexpress.com:443@127.0.0.1/", "user name or password"),
        ("https://evil.example/item/1005001513148147.html", "evil.example is not an AliExpress"),
        ("https://aliexpress.com.evil.example/item/1.html", "not an AliExpress site"),
        ("https://www.xn--liexpress-zyh.com/", "not an AliExpress site"),
        ("https://aliexpress.es/item/1005001513148147.html", "only aliexpress.com"),
        ("https://bit.ly/abc", "third-party short link"),
        ("file:///etc/passwd", "file: addresses"),
        ("javascript:alert(1)", "javascript: addresses"),
        ("gopher://127.0.0.1:70/_x", "gopher: addresses"),
        ("https://www.aliexpress.com/w/wholesale-cable.html", "search results page"),
        ("https://www.aliexpress.com/store/1102181980", "store page"),
        ("https://www.aliexpress.com:8443/landing", "unusual port"),
        ("https://www.aliexpress.com/item/\t1.html", "control characters"),
    ],
)
def test_redirects_to_refused_addresses_make_no_further_request(
    location: str, reason: str, network: FakeNetwork, make_follower: MakeFollower
) -> None:
    network.redirect(SHORT_HOST, SHORT_PATH, location)

    result = make_follower().follow(SHORT)

    assert result.id is None and result.error is not None
    assert reason in result.error
    assert network.hosts_contacted() == [SHORT_HOST]
    assert network.lookups == [SHORT_HOST]


@pytest.mark.parametrize(
    "answers",
    [
        ["10.0.0.5"],
        ["127.0.0.1"],
        ["192.168.4.4"],
        ["169.254.169.254"],
        [PUBLIC_ADDRESS, "10.0.0.5"],  # one bad answer spoils the name
        ["::ffff:192.168.0.1"],
        ["::1"],
        ["fd00::1"],
        ["2002:7f00:1::"],  # 6to4 wrapping 127.0.0.1
        ["64:ff9b::a00:5"],  # NAT64 wrapping 10.0.0.5
        ["224.0.0.1"],
    ],
)
def test_an_allowed_name_that_resolves_to_a_private_address_gets_no_request(
    answers: list[str], network: FakeNetwork, make_follower: MakeFollower
) -> None:
    network.dns["internal.aliexpress.com"] = answers
    network.redirect(SHORT_HOST, SHORT_PATH, "https://internal.aliexpress.com/landing")

    result = make_follower().follow(SHORT)

    assert result.error is not None and "private or local network address" in result.error
    assert network.hosts_contacted() == [SHORT_HOST]
    assert "internal.aliexpress.com" in network.lookups


def test_a_short_link_host_resolving_privately_is_never_contacted(
    network: FakeNetwork, make_follower: MakeFollower
) -> None:
    network.dns[SHORT_HOST] = ["127.0.0.1"]
    network.redirect(SHORT_HOST, SHORT_PATH, LANDING)

    result = make_follower().follow(SHORT)

    assert result.error is not None and "127.0.0.1" in result.error
    assert network.sent == []


def test_a_redirect_loop_is_detected(network: FakeNetwork, make_follower: MakeFollower) -> None:
    network.redirect(SHORT_HOST, SHORT_PATH, "https://a.aliexpress.com/_back")
    network.redirect("a.aliexpress.com", "/_back", SHORT)

    result = make_follower().follow(SHORT)

    assert result.error is not None and "loop" in result.error
    assert network.hosts_contacted() == [SHORT_HOST, "a.aliexpress.com"]


def test_a_page_redirecting_to_itself_is_a_loop(
    network: FakeNetwork, make_follower: MakeFollower
) -> None:
    network.redirect(SHORT_HOST, SHORT_PATH, "https://www.aliexpress.com/landing.htm")
    network.redirect("www.aliexpress.com", "/landing.htm", "/landing.htm")

    result = make_follower().follow(SHORT)

    assert result.error is not None and "loop" in result.error
    assert len(network.sent) == 2


def test_the_number_of_requests_is_capped(
    network: FakeNetwork, make_follower: MakeFollower
) -> None:
    for n in range(20):
        network.redirect(SHORT_HOST, f"/e/_hop{n}", f"https://s.click.aliexpress.com/e/_hop{n + 1}")

    result = make_follower().follow("https://s.click.aliexpress.com/e/_hop0")

    assert result.error is not None and "more than 8 requests" in result.error
    assert len(network.sent) == 8


def test_the_total_deadline_stops_a_slow_chain(
    network: FakeNetwork, make_follower: MakeFollower, clock: FakeClock
) -> None:
    def slow_hop(request: httpx.Request) -> httpx.Response:
        clock.advance(4.0)  # each hop takes 4 s of the 10 s budget
        n = int(request.url.path.rsplit("p", 1)[1])
        return httpx.Response(302, headers={"Location": f"/e/_hop{n + 1}"})

    for n in range(10):
        network.routes[(SHORT_HOST, f"/e/_hop{n}")] = slow_hop

    result = make_follower().follow("https://s.click.aliexpress.com/e/_hop0")

    assert result.error is not None and "too long" in result.error
    assert len(network.sent) == 3


def test_the_body_is_read_only_up_to_the_cap(make_follower: MakeFollower) -> None:
    produced: list[int] = []

    def endless() -> Iterator[bytes]:
        for _ in range(1000):  # 16 MB if anyone read it all
            produced.append(1)
            yield b"x" * 16384

    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, content=endless(), headers={"Content-Type": "text/html"})

    result = make_follower(transport=httpx.MockTransport(handler)).follow(SHORT)

    assert result.error is not None and "did not lead to a product" in result.error
    assert len(produced) <= 5


@pytest.mark.parametrize(
    ("status", "reason"),
    [(404, "does not exist"), (410, "does not exist"), (500, "HTTP status 500")],
)
def test_error_answers_are_reported(
    status: int, reason: str, network: FakeNetwork, make_follower: MakeFollower
) -> None:
    network.page(SHORT_HOST, SHORT_PATH, "gone", status=status)

    result = make_follower().follow(SHORT)

    assert result.error is not None and reason in result.error


def test_a_redirect_without_location_is_reported(
    network: FakeNetwork, make_follower: MakeFollower
) -> None:
    network.routes[(SHORT_HOST, SHORT_PATH)] = lambda _request: httpx.Response(302)

    result = make_follower().follow(SHORT)

    assert result.error is not None and "redirect to nowhere" in result.error


def test_dns_failure_and_timeouts_are_reported(
    network: FakeNetwork, make_follower: MakeFollower
) -> None:
    del network.dns[SHORT_HOST]
    assert "could not look up" in (make_follower().follow(SHORT).error or "")

    def timeout(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectTimeout("timed out", request=request)

    slow = make_follower(transport=httpx.MockTransport(timeout))
    assert "did not answer in time" in (slow.follow("https://a.aliexpress.com/_slow1").error or "")

    def refused(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("connection refused", request=request)

    down = make_follower(transport=httpx.MockTransport(refused))
    assert "could not reach" in (down.follow("https://a.aliexpress.com/_down1").error or "")


# ---------------------------------------------------------------------------------------------
# Caching


def test_a_resolved_short_link_is_cached_for_30_days(
    network: FakeNetwork, make_follower: MakeFollower, cache: MemoryCache, clock: FakeClock
) -> None:
    network.redirect(SHORT_HOST, SHORT_PATH, LANDING)
    follower = make_follower(cache=cache)

    first = follower.follow(SHORT)
    clock.advance(SUCCESS_TTL - 60)
    second = follower.follow(SHORT)

    assert first.id == second.id == G
    assert len(network.sent) == 1
    clock.advance(120)
    assert follower.follow(SHORT).id == G
    assert len(network.sent) == 2


def test_a_failure_is_cached_briefly_then_retried(
    network: FakeNetwork, make_follower: MakeFollower, cache: MemoryCache, clock: FakeClock
) -> None:
    follower = make_follower(cache=cache)

    first = follower.follow(SHORT)  # no route yet: 404
    again = follower.follow(SHORT)
    assert first.error is not None and again.error == first.error
    assert len(network.sent) == 1

    network.redirect(SHORT_HOST, SHORT_PATH, LANDING)
    clock.advance(FAILURE_TTL + 1)

    assert follower.follow(SHORT).id == G
    assert len(network.sent) == 2


def test_a_broken_cache_costs_only_the_caching(
    network: FakeNetwork, make_follower: MakeFollower
) -> None:
    class BrokenCache:
        def get(self, key: str, default: object = None) -> object:
            raise OSError("database or disk is full")

        def set(self, key: str, value: object, expire: float | None = None) -> object:
            raise OSError("database or disk is full")

    network.redirect(SHORT_HOST, SHORT_PATH, LANDING)

    assert make_follower(cache=BrokenCache()).follow(SHORT).id == G


def test_malformed_cache_entries_are_ignored(
    network: FakeNetwork, make_follower: MakeFollower, cache: MemoryCache
) -> None:
    network.redirect(SHORT_HOST, SHORT_PATH, LANDING)
    cache.set("affsite:shortlink:v1:" + SHORT, {"id": 42, "raw_id": None, "error": None})

    assert make_follower(cache=cache).follow(SHORT).id == G
