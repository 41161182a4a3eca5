"""resolve: classify, then follow a short link through the injected follower unless offline."""

from __future__ import annotations

from collections.abc import Callable

import httpx

from affsite.product_ids import NEEDS_NETWORK, REGIONAL_OFFSET, Form, Resolution, resolve
from affsite.product_ids.classify import classify
from affsite.product_ids.resolve import finish
from affsite.product_ids.shortlinks import ShortLinkFollower

from .conftest import FakeNetwork

G = "1005001513148147"
US = str(int(G) + REGIONAL_OFFSET)
SHORT = "https://s.click.aliexpress.com/e/_DdGYnJf"
LANDING = f"https://pt.aliexpress.com/item/{G}.html?aff_fcid=abc&sk=_DdGYnJf"

MakeFollower = Callable[..., ShortLinkFollower]


class RecordingFollower:
    def __init__(self) -> None:
        self.calls: list[str] = []

    def follow(self, short_url: str) -> Resolution:
        self.calls.append(short_url)
        return Resolution(input=short_url, id=G, raw_id=G, form=Form.SHORT_LINK)


def test_offline_a_short_link_fails_saying_it_needs_the_network() -> None:
    follower = RecordingFollower()

    result = resolve(SHORT, offline=True, follower=follower)

    assert (result.id, result.form, result.error) == (None, Form.SHORT_LINK, NEEDS_NETWORK)
    assert follower.calls == []


def test_only_short_links_reach_the_follower_and_it_gets_the_https_target() -> None:
    follower = RecordingFollower()

    assert resolve(G, follower=follower).id == G
    assert resolve(" s.click.aliexpress.com/e/_DdGYnJf ", follower=follower).id == G

    assert follower.calls == [SHORT]


def test_finish_keeps_a_verdict_that_needs_no_network() -> None:
    verdict = classify("https://www.aliexpress.com/store/1102181980")

    result = finish("pasted", verdict, offline=False, follower=RecordingFollower())

    assert result.input == "pasted" and result.error == verdict.error


def test_resolve_follows_short_links_and_keeps_the_pasted_input(
    network: FakeNetwork, make_follower: MakeFollower
) -> None:
    network.redirect("a.aliexpress.com", "/_mKjL9Cq", f"https://www.aliexpress.us/item/{US}.html")

    result = resolve(" a.aliexpress.com/_mKjL9Cq ", follower=make_follower())

    assert (result.input, result.id, result.raw_id) == (" a.aliexpress.com/_mKjL9Cq ", G, US)
    assert result.form == "short_link"


def test_http_short_links_are_requested_over_https(make_follower: MakeFollower) -> None:
    seen: list[httpx.URL] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request.url)
        return httpx.Response(302, headers={"Location": LANDING})

    follower = make_follower(transport=httpx.MockTransport(handler))

    assert resolve("http://s.click.aliexpress.com/e/ybuVN3n", follower=follower).id == G
    assert [url.scheme for url in seen] == ["https"]
