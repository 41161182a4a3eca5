"""Host safety: trusted hosts, IP literals in every spelling, public addresses, bounded DNS."""

from __future__ import annotations

import ipaddress

import pytest

from affsite.product_ids import (
    ip_literal,
    is_aliexpress_host,
    is_public_address,
    system_resolve_host,
)
from affsite.product_ids.hosts import HostProblem, checked_host, foreign_host_reason


@pytest.mark.parametrize(
    ("host", "trusted"),
    [
        ("aliexpress.com", True),
        ("www.aliexpress.com", True),
        ("m.de.aliexpress.com", True),
        ("aliexpress.us", True),
        ("m.aliexpress.ru", True),
        ("s.click.aliexpress.com", True),
        ("ali.click", True),
        ("aliexpress.com.evil.example", False),
        ("fakealiexpress.com", False),
        ("-x.aliexpress.com", False),
        ("x-.aliexpress.com", False),
        ("a..aliexpress.com", False),
        ("aliexpress.es", False),
        ("evil.ali.click", False),
        ("WWW.ALIEXPRESS.COM", False),  # hosts arrive lower-cased; anything else is not one
    ],
)
def test_is_aliexpress_host(host: str, trusted: bool) -> None:
    assert is_aliexpress_host(host) is trusted


@pytest.mark.parametrize(
    ("authority", "host"),
    [
        ("www.aliexpress.com", "www.aliexpress.com"),
        ("WWW.AliExpress.COM.", "www.aliexpress.com"),
        ("www.aliexpress.com:443", "www.aliexpress.com"),
    ],
)
def test_checked_host_normalises_the_name(authority: str, host: str) -> None:
    assert checked_host("https", authority) == host


@pytest.mark.parametrize(
    ("authority", "reason"),
    [
        ("", "no host name"),
        ("user@www.aliexpress.com", "user name or password"),
        ("www.\u0430liexpress.com", "non-ASCII"),
        ("0177.0.0.1", "private or local network address"),
        ("www.aliexpress.com:notaport", "not a valid host name"),
        ("a" * 300 + ".com", "not a valid host name"),
    ],
)
def test_checked_host_names_the_problem(authority: str, reason: str) -> None:
    problem = checked_host("https", authority)

    assert isinstance(problem, HostProblem) and reason in problem.reason


@pytest.mark.parametrize(
    ("host", "address"),
    [
        ("127.0.0.1", "127.0.0.1"),
        ("127.1", "127.0.0.1"),
        ("0x7f.1", "127.0.0.1"),
        ("2130706433", "127.0.0.1"),
        ("0177.0.0.1", "127.0.0.1"),
        ("[::1]", "::1"),
        ("fe80::1%eth0", "fe80::1"),
        ("www.aliexpress.com", None),
        ("1.2.3.4.5", None),
    ],
)
def test_ip_literal_reads_every_spelling_a_resolver_accepts(host: str, address: str | None) -> None:
    literal = ip_literal(host)

    assert literal == (None if address is None else ipaddress.ip_address(address))


@pytest.mark.parametrize(
    ("host", "reason"),
    [
        ("10.0.0.1", "10.0.0.1 is a private or local network address"),
        ("8.8.8.8", "8.8.8.8 is an IP address, not an AliExpress site"),
        ("aliexpress.com.br", "only aliexpress.com, aliexpress.us and aliexpress.ru"),
        ("bit.ly", "third-party short link"),
        ("example.com", "example.com is not an AliExpress site"),
        ("x" * 200 + ".example", "…"),
    ],
)
def test_foreign_host_reasons(host: str, reason: str) -> None:
    assert reason in foreign_host_reason(host)


@pytest.mark.parametrize(
    ("address", "public"),
    [
        ("47.246.0.10", True),
        ("8.8.8.8", True),
        ("2a00:1450:4001:80b::200e", True),
        ("127.0.0.1", False),
        ("10.1.2.3", False),
        ("100.64.0.1", False),
        ("169.254.169.254", False),
        ("0.0.0.0", False),  # noqa: S104 - an address under test, not a bind
        ("255.255.255.255", False),
        ("224.0.0.251", False),
        ("::1", False),
        ("::", False),
        ("::ffff:127.0.0.1", False),
        ("::127.0.0.1", False),
        ("fe80::1%eth0", False),
        ("2002:a00:1::", False),
        ("2001:0:4136:e378:8000:63bf:f5ff:fffe", False),  # Teredo to 10.0.0.1
        ("not an address", False),
    ],
)
def test_is_public_address(address: str, public: bool) -> None:
    assert is_public_address(address) is public


def test_the_system_resolver_answers_for_localhost_and_it_is_not_public() -> None:
    addresses = system_resolve_host("localhost", 443)

    assert addresses
    assert not any(is_public_address(address) for address in addresses)
