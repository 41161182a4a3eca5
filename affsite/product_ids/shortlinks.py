"""Following AliExpress short links to a product id: hop by hop, allow-listed, never inward.

A short link (``s.click.aliexpress.com/e/...``, ``a.aliexpress.com/_...``,
``click.aliexpress.com/e/...``, ``ali.click/...``) only says where it leads when asked over
HTTP. Asking is a server-side request forgery risk, so :class:`ShortLinkFollower`:

- requests one hop at a time (httpx, redirects not followed automatically), over https only,
  on the default port, at most ``max_hops`` requests, with short connect/read timeouts and a
  total deadline;
- classifies every hop with :func:`~affsite.product_ids.classify.classify` first (the same host
  parser and allow-list as pasted input) and stops at the first address that yields a product id,
  before any geo redirect can change it; anything that is not an AliExpress host is refused
  without a request;
- resolves each host name itself through an injectable ``resolve_host`` and refuses if any
  address is not global (loopback, private, link-local, CGNAT, multicast, reserved, and IPv6
  forms that embed one: mapped, compatible, 6to4, Teredo, NAT64), then connects to the very
  address it checked (the URL carries the IP; ``Host`` and TLS SNI carry the name), so DNS
  cannot answer differently between the check and the connection;
- reads a body only when a 200 answer has no ``Location``, at most ``body_limit`` bytes, to find
  a meta refresh, a script redirect or a canonical link
  (:mod:`affsite.product_ids.html_redirects`, linear time); sends no cookies;
- detects loops, and caches results (30 days) and failures (5 minutes) in an optional
  diskcache-like object.

``follow`` never raises: every failure is a :class:`~affsite.product_ids.verdicts.Resolution`
whose ``error`` says what happened. Everything the follower touches is a constructor parameter
(transport, DNS, clock, cache), so tests and the catalog inject them instead of patching.
"""

from __future__ import annotations

import contextlib
import functools
import re
import threading
from dataclasses import replace
from typing import Any, Protocol

import httpx

from affsite.clock import Clock, system_clock
from affsite.product_ids.classify import MAX_HOP_URL_LENGTH, classify
from affsite.product_ids.hosts import (
    HostResolver,
    is_aliexpress_host,
    is_public_address,
    system_resolve_host,
)
from affsite.product_ids.html_redirects import redirect_in_html
from affsite.product_ids.verdicts import Form, Kind, Resolution, Verdict

__all__ = [
    "FAILURE_TTL",
    "SUCCESS_TTL",
    "MemoryCache",
    "ShortLinkCache",
    "ShortLinkFollower",
    "default_follower",
]

SUCCESS_TTL = 30 * 24 * 3600.0
"""How long a short link's product id is remembered: links do not change their target."""

FAILURE_TTL = 300.0
"""How long a failure is remembered: long enough to stop hammering, short enough to retry."""

DEFAULT_USER_AGENT = "Mozilla/5.0 (compatible; affsite short-link resolver)"
_REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})
_UNSAFE_TARGET = re.compile(r"[\s\x00-\x1f\x7f\\]")
_CACHE_PREFIX = "affsite:shortlink:v1:"


class ShortLinkCache(Protocol):
    """The subset of ``diskcache.Cache`` the follower uses."""

    def get(self, key: str, default: Any = None) -> Any: ...

    def set(self, key: str, value: Any, expire: float | None = None) -> Any: ...


class MemoryCache:
    """A small in-process :class:`ShortLinkCache` (for one CLI run, and tests), clock-driven."""

    def __init__(self, *, clock: Clock = system_clock, max_entries: int = 10_000) -> None:
        self._clock = clock
        self._max_entries = max_entries
        self._entries: dict[str, tuple[float | None, Any]] = {}
        self._lock = threading.Lock()

    def get(self, key: str, default: Any = None) -> Any:
        with self._lock:
            entry = self._entries.get(key)
            if entry is None:
                return default
            expires_at, value = entry
            if expires_at is not None and self._clock() >= expires_at:
                del self._entries[key]
                return default
            return value

    def set(self, key: str, value: Any, expire: float | None = None) -> bool:
        with self._lock:
            if len(self._entries) >= self._max_entries and key not in self._entries:
                del self._entries[next(iter(self._entries))]  # oldest first
            expires_at = None if expire is None else self._clock() + expire
            self._entries[key] = (expires_at, value)
        return True


class _Stop(Exception):
    """A hop ended the walk with a reason; internal to :meth:`ShortLinkFollower._walk`."""


class ShortLinkFollower:
    """Follows AliExpress short links to the product they lead to (see the module docstring).

    ``transport`` replaces the network (tests play redirect chains with ``httpx.MockTransport``;
    requests arrive addressed to the checked IP, with the host name in ``Host``).
    ``resolve_host`` replaces DNS; ``cache`` is anything with diskcache's ``get``/``set``;
    ``clock`` drives the total deadline.
    """

    def __init__(
        self,
        *,
        transport: httpx.BaseTransport | None = None,
        cache: ShortLinkCache | None = None,
        clock: Clock = system_clock,
        resolve_host: HostResolver = system_resolve_host,
        max_hops: int = 8,
        connect_timeout: float = 3.0,
        read_timeout: float = 3.0,
        deadline: float = 10.0,
        body_limit: int = 64 * 1024,
        user_agent: str = DEFAULT_USER_AGENT,
    ) -> None:
        self._transport = transport
        self._cache = cache
        self._clock = clock
        self._resolve_host = resolve_host
        self.max_hops = max_hops
        self._connect_timeout = connect_timeout
        self._read_timeout = read_timeout
        self._deadline = deadline
        self._body_limit = body_limit
        self._user_agent = user_agent
        self._own_transport: httpx.HTTPTransport | None = None
        self._transport_lock = threading.Lock()

    def __enter__(self) -> ShortLinkFollower:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def close(self) -> None:
        """Close the connection pool this follower opened (an injected transport is left open)."""
        with self._transport_lock:
            if self._own_transport is not None:
                self._own_transport.close()
                self._own_transport = None

    def follow(self, short_url: str) -> Resolution:
        """The product a short link leads to, from the cache or the network. Never raises."""
        key = _CACHE_PREFIX + short_url
        cached = self._cache_get(key)
        if cached is not None:
            return replace(cached, input=short_url)
        try:
            verdict = self._walk(short_url)
            result = Resolution(
                input=short_url, id=verdict.id, raw_id=verdict.raw_id, form=Form.SHORT_LINK
            )
        except _Stop as stop:
            result = Resolution(input=short_url, form=Form.SHORT_LINK, error=str(stop))
        self._cache_set(key, result)
        return result

    # ---------------------------------------------------------------------------------------

    def _walk(self, short_url: str) -> Verdict:
        deadline = self._clock() + self._deadline
        current = short_url
        seen: set[str] = set()
        last_reason: str | None = None
        for _request_number in range(self.max_hops):
            if current in seen:
                raise _Stop("the short link redirects in a loop")
            seen.add(current)
            target = self._fetch_next(current, deadline)
            if target is None:
                raise _Stop(last_reason or "the short link did not lead to a product page")
            verdict = classify(target, max_length=MAX_HOP_URL_LENGTH, decode=False)
            if verdict.kind is Kind.PRODUCT:
                return verdict
            if verdict.kind is Kind.SHORT_LINK and verdict.target is not None:
                current = verdict.target
            elif verdict.kind is Kind.OTHER_PAGE:
                current = target
                last_reason = f"the short link leads to a page without a product: {verdict.error}"
            else:
                raise _Stop(f"the short link leads somewhere refused: {verdict.error}")
        raise _Stop(f"the short link needs more than {self.max_hops} requests; gave up")

    def _fetch_next(self, url_text: str, deadline: float) -> str | None:
        """Request one hop; the absolute address it points to next, or None if it points nowhere.

        :raise _Stop: the hop is refused or the request failed.
        """
        try:
            url = httpx.URL(url_text)
        except httpx.InvalidURL as exc:
            raise _Stop("the short link leads to an address that is not valid") from exc
        host = url.host.removesuffix(".")
        verdict = classify(url_text, max_length=MAX_HOP_URL_LENGTH, decode=False)
        if (
            verdict.kind not in (Kind.SHORT_LINK, Kind.OTHER_PAGE)
            or url.scheme not in ("http", "https")
            or not is_aliexpress_host(host)
        ):
            # Only AliExpress addresses ever get here; this re-checks the host on the very URL
            # object that is about to be requested.
            raise _Stop(f"refused to request {host or 'an address without a host'}")
        if url.port not in (None, 80, 443):
            raise _Stop(f"the short link leads to an unusual port ({url.port}); refused")
        address = self._checked_address(host, deadline)
        remaining = deadline - self._clock()
        if remaining <= 0:
            raise _Stop("following the short link took too long")
        response = self._send(url, host, address, remaining)
        try:
            if response.status_code in _REDIRECT_STATUSES:
                location = response.headers.get("location")
                if not location:
                    raise _Stop("the short link answered with a redirect to nowhere")
                return self._absolute(url, location)
            if response.status_code == 200:
                found = redirect_in_html(self._read_capped(response, deadline))
                return None if found is None else self._absolute(url, found)
            if response.status_code in (404, 410):
                raise _Stop("the short link does not exist (any more); check it was copied whole")
            raise _Stop(f"the short link answered with HTTP status {response.status_code}")
        finally:
            response.close()

    def _checked_address(self, host: str, deadline: float) -> str:
        """One address of ``host``, after checking that every address DNS gives is public."""
        if self._clock() >= deadline:
            raise _Stop("following the short link took too long")
        try:
            addresses = list(self._resolve_host(host, 443))
        except (OSError, UnicodeError, ValueError) as exc:
            raise _Stop(f"could not look up {host}; check the network connection") from exc
        if not addresses:
            raise _Stop(f"could not look up {host}; check the network connection")
        for address in addresses:
            if not is_public_address(address):
                raise _Stop(
                    f"{host} resolves to {address}, a private or local network address; refused"
                )
        return addresses[0].partition("%")[0]

    def _send(self, url: httpx.URL, host: str, address: str, remaining: float) -> httpx.Response:
        # Connect to the address just checked: the URL carries the IP, Host and SNI the name,
        # so TLS still verifies the certificate for the name.
        pinned = url.copy_with(scheme="https", host=address, port=None, fragment=None)
        connect = min(self._connect_timeout, remaining)
        read = min(self._read_timeout, remaining)
        request = httpx.Request(
            "GET",
            pinned,
            headers={
                "Host": host,
                "User-Agent": self._user_agent,
                "Accept": "text/html,application/xhtml+xml;q=0.9,*/*;q=0.1",
                "Accept-Encoding": "identity",
            },
            extensions={
                "sni_hostname": host,
                "timeout": {"connect": connect, "read": read, "write": read, "pool": connect},
            },
        )
        try:
            # Straight to the transport: an httpx.Client would parse every Location itself
            # (and fail on odd ones) before this code could judge it.
            return self._get_transport().handle_request(request)
        except httpx.TimeoutException as exc:
            raise _Stop(f"{host} did not answer in time") from exc
        except (httpx.HTTPError, httpx.InvalidURL, httpx.StreamError, OSError) as exc:
            raise _Stop(f"could not reach {host}: {type(exc).__name__}") from exc

    def _read_capped(self, response: httpx.Response, deadline: float) -> str:
        """At most ``body_limit`` bytes of an uncompressed body, as text."""
        if response.headers.get("content-encoding", "identity").lower() != "identity":
            return ""
        body = bytearray()
        try:
            # No chunk_size: a fixed size would wait for that many bytes before the deadline
            # is looked at again, so a dripping server could hold the walk.
            for chunk in response.iter_bytes():
                body.extend(chunk)
                if len(body) >= self._body_limit or self._clock() >= deadline:
                    break
        except (httpx.HTTPError, httpx.StreamError, OSError):
            pass  # whatever arrived is still worth a look; the walk fails if it holds nothing
        return bytes(body[: self._body_limit]).decode("utf-8", errors="replace")

    @staticmethod
    def _absolute(base: httpx.URL, target: str) -> str:
        target = target.strip()
        if len(target) > MAX_HOP_URL_LENGTH:
            raise _Stop("the short link redirects to an address that is too long")
        if _UNSAFE_TARGET.search(target):
            raise _Stop(
                "the short link redirects to an address with a backslash or control "
                "characters, a known trick; refused"
            )
        try:
            return str(base.join(target))
        except httpx.InvalidURL as exc:
            refused = classify(target, max_length=MAX_HOP_URL_LENGTH, decode=False).error
            if refused:
                raise _Stop(f"the short link leads somewhere refused: {refused}") from exc
            raise _Stop("the short link redirects to an address that is not valid") from exc

    def _get_transport(self) -> httpx.BaseTransport:
        if self._transport is not None:
            return self._transport
        with self._transport_lock:
            if self._own_transport is None:
                # No client, so no proxy from the environment can reroute the pinned requests,
                # no cookies are kept, and redirects are never followed automatically.
                self._own_transport = httpx.HTTPTransport(retries=0)
            return self._own_transport

    def _cache_get(self, key: str) -> Resolution | None:
        if self._cache is None:
            return None
        try:
            value = self._cache.get(key)
        except Exception:  # a broken cache must only cost a lookup
            return None
        if not isinstance(value, dict):
            return None
        product_id, raw_id, error = value.get("id"), value.get("raw_id"), value.get("error")
        if isinstance(product_id, str) and isinstance(raw_id, str) and error is None:
            return Resolution(input="", id=product_id, raw_id=raw_id, form=Form.SHORT_LINK)
        if product_id is None and isinstance(error, str):
            return Resolution(input="", form=Form.SHORT_LINK, error=error)
        return None

    def _cache_set(self, key: str, result: Resolution) -> None:
        if self._cache is None:
            return
        value = {"id": result.id, "raw_id": result.raw_id, "error": result.error}
        # A broken cache (disk full, corrupt) must only cost the caching, never the answer.
        with contextlib.suppress(Exception):
            self._cache.set(key, value, expire=SUCCESS_TTL if result.ok else FAILURE_TTL)


@functools.cache
def default_follower() -> ShortLinkFollower:
    """The follower :func:`~affsite.product_ids.resolve.resolve` uses when given none (no cache)."""
    return ShortLinkFollower()
