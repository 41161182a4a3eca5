"""Host safety: which hosts the resolver trusts, and why any other host is refused.

Hosts are compared after parsing the authority with ``httpx.URL`` (the parser of the HTTP client
that follows short links): lower-cased, one trailing dot removed, ASCII only, no ``user@`` part.
The same module says which network addresses the short-link follower may connect to, and looks
host names up for it with a bounded wait.
"""

from __future__ import annotations

import functools
import ipaddress
import re
import socket
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import httpx

from affsite.product_ids.verdicts import shorten

__all__ = [
    "HostProblem",
    "HostResolver",
    "checked_host",
    "foreign_host_reason",
    "ip_literal",
    "is_aliexpress_host",
    "is_public_address",
    "system_resolve_host",
]

_MAX_HOST_LENGTH = 253

# A label is letters, digits and inner hyphens. Each label is matched possessively (there is
# only one way to match it), so a long name that does not match fails in linear time.
_ALIEXPRESS_HOST = re.compile(
    r"(?:[a-z0-9](?:[a-z0-9-]*+(?<=[a-z0-9]))?\.)*aliexpress\.(?:com|us|ru)"
)
_COUNTRY_ALIEXPRESS_HOST = re.compile(
    r"(?:[a-z0-9-]++\.)*aliexpress\.(?:[a-z]{2}|(?:co|com)\.[a-z]{2})"
)
_IPV4_LEGACY_LITERAL = re.compile(r"[0-9a-fx.]+", re.I)
_THIRD_PARTY_SHORTENERS = frozenset(
    {
        "ali.pub", "ali.ski", "alii.pub", "bit.ly", "t.co", "tinyurl.com", "goo.gl", "ow.ly",
        "is.gd", "cutt.ly", "rzekl.com", "alitems.com", "epnclick.ru", "lenkmio.com",
        "wextap.com", "ad.admitad.com", "awin1.com", "aliexitem.com",
    }
)  # fmt: skip
_NAT64 = ipaddress.IPv6Network("64:ff9b::/96")

HostResolver = Callable[[str, int], Sequence[str]]
"""``(host, port) -> addresses`` as strings; raises ``OSError`` when the name does not resolve."""


@dataclass(frozen=True, slots=True, kw_only=True)
class HostProblem:
    """Why an authority has no host the resolver can use."""

    reason: str


@functools.lru_cache(maxsize=4096)
def checked_host(scheme: str, authority: str) -> str | HostProblem:
    """The host of ``scheme://authority`` as httpx (which makes the requests) reads it.

    Lower-cased, one trailing dot removed. Cached: real inputs use a handful of hosts.

    >>> checked_host("https", "WWW.AliExpress.com.:443")
    'www.aliexpress.com'
    """
    if not authority:
        return HostProblem(reason="the address has no host name")
    if "@" in authority:
        return HostProblem(
            reason="the address has a user name or password before the host (user@host), "
            "a common disguise; refused"
        )
    if not authority.isascii():
        return HostProblem(
            reason="the host name contains non-ASCII letters, a common look-alike trick; refused"
        )
    try:
        parsed = httpx.URL(f"{scheme}://{authority}/")
    except httpx.InvalidURL:
        # httpx rejects some IP spellings (0177.0.0.1) that resolvers accept: name them.
        host_part = authority.rpartition(":")[0] if authority.count(":") == 1 else authority
        if ip_literal(host_part) is not None:
            return HostProblem(reason=foreign_host_reason(host_part))
        return HostProblem(reason=f"{shorten(authority)} is not a valid host name")
    host = parsed.host
    if parsed.userinfo or not host:
        return HostProblem(reason="the address has no usable host name")
    if host.endswith("."):
        host = host[:-1]
    if not host or host.endswith(".") or len(host) > _MAX_HOST_LENGTH:
        return HostProblem(reason=f"{shorten(authority)} is not a valid host name")
    return host


def is_aliexpress_host(host: str) -> bool:
    """Whether a parsed, lower-cased host is one the resolver trusts (short-link hosts too).

    >>> [is_aliexpress_host(h) for h in ("m.aliexpress.ru", "ali.click", "aliexpress.com.evil")]
    [True, True, False]
    """
    return host == "ali.click" or _ALIEXPRESS_HOST.fullmatch(host) is not None


def ip_literal(host: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    """The address a host name spells as an IP literal, in any form a resolver accepts.

    Covers dotted quads, IPv6, and the legacy forms ``127.1``, ``0x7f.1``, ``2130706433``,
    ``0177.0.0.1`` that ``getaddrinfo`` turns into 127.0.0.1.

    >>> str(ip_literal("0x7f.1"))
    '127.0.0.1'
    """
    try:
        return ipaddress.ip_address(host.strip("[]").partition("%")[0])
    except ValueError:
        pass
    if _IPV4_LEGACY_LITERAL.fullmatch(host):
        try:
            return ipaddress.IPv4Address(socket.inet_aton(host))
        except OSError:
            return None
    return None


def foreign_host_reason(host: str) -> str:
    """Why ``host`` (not an AliExpress host) is refused, in words a site owner understands.

    >>> foreign_host_reason("aliexpress.es")  # doctest: +ELLIPSIS
    'aliexpress.es is not an AliExpress product site: only aliexpress.com, ... are accepted'
    """
    shown = shorten(host)
    literal = ip_literal(host)
    if literal is not None:
        if not literal.is_global:
            return f"{shown} is a private or local network address, not an AliExpress site"
        return f"{shown} is an IP address, not an AliExpress site"
    if _COUNTRY_ALIEXPRESS_HOST.fullmatch(host):
        return (
            f"{shown} is not an AliExpress product site: only aliexpress.com, aliexpress.us "
            "and aliexpress.ru addresses are accepted"
        )
    if host in _THIRD_PARTY_SHORTENERS:
        return (
            f"{shown} is a third-party short link, not an AliExpress site; open it in a "
            "browser and paste the AliExpress address it leads to"
        )
    return f"{shown} is not an AliExpress site"


def is_public_address(address: str) -> bool:
    """Whether ``address`` is a global unicast address, including any IPv4 an IPv6 one embeds.

    >>> [is_public_address(a) for a in ("8.8.8.8", "127.0.0.1", "::ffff:10.0.0.5", "100.64.0.1")]
    [True, False, False, False]
    """
    try:
        ip = ipaddress.ip_address(address.partition("%")[0])
    except ValueError:
        return False
    if isinstance(ip, ipaddress.IPv6Address):
        embedded = [ip.ipv4_mapped, ip.sixtofour]
        if ip.teredo is not None:
            embedded.extend(ip.teredo)
        if ip in _NAT64 or int(ip) < 2**32:  # NAT64 and the old IPv4-compatible form
            embedded.append(ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF))
        if any(v4 is not None and not _public(v4) for v4 in embedded):
            return False
    return _public(ip)


def _public(ip: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
    return ip.is_global and not (ip.is_multicast or ip.is_reserved or ip.is_unspecified)


def system_resolve_host(host: str, port: int, *, timeout: float = 3.0) -> list[str]:
    """The addresses ``getaddrinfo`` gives for ``host``, or ``TimeoutError`` after ``timeout``.

    ``getaddrinfo`` cannot be interrupted, so it runs in a daemon thread that is abandoned if
    the system resolver is slower than ``timeout``.
    """
    outcome: list[list[str] | OSError] = []

    def lookup() -> None:
        try:
            infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
            outcome.append([str(info[4][0]) for info in infos])
        except OSError as exc:
            outcome.append(exc)
        except UnicodeError as exc:
            outcome.append(OSError(str(exc)))

    worker = threading.Thread(target=lookup, name="affsite-dns", daemon=True)
    worker.start()
    worker.join(timeout)
    if not outcome:
        raise TimeoutError(f"looking up {host} took longer than {timeout:g} s")
    result = outcome[0]
    if isinstance(result, OSError):
        raise result
    return result
