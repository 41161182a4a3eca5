"""Doctests of the resolver modules, and the follower's guard when handed a foreign address."""

from __future__ import annotations

import doctest
from collections.abc import Callable

import pytest

import affsite.product_ids
import affsite.shortlinks
from affsite.shortlinks import ShortLinkFollower, is_public_address, system_resolve_host

from .conftest import FakeNetwork


@pytest.mark.parametrize("module", [affsite.product_ids, affsite.shortlinks])
def test_doctests(module: object) -> None:
    failures, tried = doctest.testmod(module, optionflags=doctest.ELLIPSIS)  # type: ignore[arg-type]
    assert tried > 0 and failures == 0


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


def test_the_system_resolver_answers_for_localhost_and_it_is_not_public() -> None:
    addresses = system_resolve_host("localhost", 443)

    assert addresses
    assert not any(is_public_address(address) for address in addresses)
