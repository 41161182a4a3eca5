"""A signed client for the AliExpress Affiliate API (``/sync`` business gateway).

One pooled ``httpx.Client`` with explicit timeouts; the transport is a constructor argument
so tests and demo mode plug in ``httpx.MockTransport`` or the in-process sandbox. Every call
goes through ``call()``: it signs the parameters with a fresh timestamp, POSTs them all as a
form body (nothing in the URL, so nothing secret reaches httpx's request log), and hands the
answer to ``affsite.aliexpress.envelope``, which maps failures onto the error tree in
``affsite.aliexpress.errors``. Typed methods build on it: ``product_details`` (ids),
``search`` (a ``ProductQuery`` or ``HotProductQuery``), ``generate_links`` (a
``LinkRequest``) and ``categories``.

Retries are bounded by count (``max_retries``) and by a total deadline. Only transient
failures are retried, with full-jitter backoff; a rate-limit ban is waited out first. Each
HTTP attempt, retries included, is bracketed by the ``before_attempt``/``after_attempt``
hooks, which is where shared quota, rate limiting and circuit breaking plug in.
"""

from __future__ import annotations

import logging
import random
from collections.abc import Callable, Iterator, Mapping, Sequence
from types import TracebackType
from typing import Any, Final
from urllib.parse import urlencode, urlsplit

import httpx

from affsite.aliexpress.envelope import parse_response, short
from affsite.aliexpress.errors import ApiCallLimit, ApiError, GatewayUnavailable
from affsite.aliexpress.links import media_base_problem
from affsite.aliexpress.models import (
    Category,
    Product,
    ProductPage,
    match_links,
    parse_categories,
    parse_products,
)
from affsite.aliexpress.parsing import global_id
from affsite.aliexpress.protocol import (
    CATEGORY_GET,
    DEFAULT_API_URL,
    DEFAULT_BATCH_SIZE,
    LINK_GENERATE,
    MAX_BATCH_SIZE,
    MAX_LINKS_PER_CALL,
    PRODUCT_DETAIL,
    api_url_problem,
)
from affsite.aliexpress.queries import Defaults, LinkRequest, ProductQuery
from affsite.aliexpress.signing import SIGN_METHODS, ParamValue, clean_params, signed_params
from affsite.clock import Clock, Sleeper, system_clock, system_sleep
from affsite.errors import ProductIdError, SettingsError

__all__ = ["DEFAULT_DEADLINE", "DEFAULT_TIMEOUT", "MAX_BODY_BYTES", "AliExpressClient"]

logger = logging.getLogger("affsite.aliexpress")

DEFAULT_TIMEOUT: Final = httpx.Timeout(connect=3.0, read=10.0, write=10.0, pool=3.0)
DEFAULT_DEADLINE: Final = 20.0  # seconds for a whole call, retries included (< gunicorn's 30 s)
MAX_BODY_BYTES: Final = 4 * 1024 * 1024  # a 50-product answer is ~100 KB
BAN_MARGIN: Final = 0.05  # the gateway rounds ban times; retry just after, not at, the edge

_FORM_CONTENT_TYPE = "application/x-www-form-urlencoded; charset=UTF-8"


def _chunks(items: Sequence[str], size: int) -> Iterator[Sequence[str]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def _product_ids(ids: Sequence[str] | str) -> list[str]:
    if isinstance(ids, str):
        ids = [ids]
    checked: list[str] = []
    for raw in ids:
        product_id = global_id(raw)
        if product_id is None:
            raise ProductIdError(f"not a product id: {short(raw, 40)!r}")
        checked.append(product_id)
    return list(dict.fromkeys(checked))


class AliExpressClient:
    """Signed, retrying client for one App Key. Thread-safe; reuse it (it pools connections).

    ``country``, ``currency``, ``language`` and ``tracking_id`` are defaults every typed method
    sends; ``product_details`` keywords and the query objects override them per call.
    ``media_base_url`` is set only for a client of the sandbox: product images under it (the
    sandbox's own media) are allowed besides AliExpress's image hosts. Extra knobs:
    ``timeout`` (per attempt), ``deadline`` (whole call, seconds), ``backoff_base`` and
    ``backoff_cap`` (full jitter: wait ``uniform(0, min(cap, base * 2**n))``) and ``rng``.
    """

    def __init__(
        self,
        *,
        app_key: str,
        app_secret: str,
        api_url: str = DEFAULT_API_URL,
        sign_method: str = "sha256",
        tracking_id: str | None = None,
        country: str | None = None,
        currency: str | None = None,
        language: str | None = None,
        batch_size: int = DEFAULT_BATCH_SIZE,
        media_base_url: str | None = None,
        transport: httpx.BaseTransport | None = None,
        max_retries: int = 2,
        clock: Clock = system_clock,
        sleep: Sleeper = system_sleep,
        before_attempt: Callable[[str], None] | None = None,
        after_attempt: Callable[[str, ApiError | None], None] | None = None,
        timeout: httpx.Timeout = DEFAULT_TIMEOUT,
        deadline: float = DEFAULT_DEADLINE,
        backoff_base: float = 0.5,
        backoff_cap: float = 4.0,
        rng: random.Random | None = None,
    ) -> None:
        problems: dict[str, str] = {}
        if not app_key.strip():
            problems["app_key"] = "an App Key is required"
        if not app_secret:
            problems["app_secret"] = "an App Secret is required"  # noqa: S105 - a message
        if sign_method not in SIGN_METHODS:
            problems["sign_method"] = f"must be one of {', '.join(SIGN_METHODS)}"
        if not 1 <= batch_size <= MAX_BATCH_SIZE:
            problems["batch_size"] = f"must be between 1 and {MAX_BATCH_SIZE}"
        api_url_wrong = api_url_problem(api_url)
        if api_url_wrong:
            problems["api_url"] = api_url_wrong
        media_base_wrong = media_base_problem(media_base_url) if media_base_url else None
        if media_base_wrong:
            problems["media_base_url"] = media_base_wrong
        if max_retries < 0:
            problems["max_retries"] = "must not be negative"
        if problems:
            raise SettingsError(problems)

        self.app_key = app_key.strip()
        self.__secret = app_secret
        self.api_url = api_url
        self._host = urlsplit(api_url).hostname or "the API address"
        self.sign_method = sign_method
        self.tracking_id = tracking_id or None
        self.country = country or None
        self.currency = currency or None
        self.language = language or None
        self.batch_size = batch_size
        self.media_base_url = media_base_url
        self.max_retries = max_retries
        self.deadline = deadline
        self._clock = clock
        self._sleep = sleep
        self._before_attempt = before_attempt
        self._after_attempt = after_attempt
        self._timeout = timeout
        self._backoff_base = backoff_base
        self._backoff_cap = backoff_cap
        self._rng = rng or random.Random()  # jitter, not security
        self._http = httpx.Client(
            transport=transport,
            timeout=timeout,
            follow_redirects=False,  # a redirect means a wrong API URL; never re-send the form
            headers={"Content-Type": _FORM_CONTENT_TYPE, "Cache-Control": "no-cache"},
        )

    def __repr__(self) -> str:
        return (
            f"AliExpressClient(app_key={self.app_key!r}, app_secret='***', "
            f"api_url={self.api_url!r}, sign_method={self.sign_method!r})"
        )

    # -- lifecycle --------------------------------------------------------------------------

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> AliExpressClient:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()

    # -- the one generic call ---------------------------------------------------------------

    def call(self, method: str, params: Mapping[str, ParamValue]) -> dict[str, Any]:
        """Call ``method`` with ``params`` (None/"" dropped); return ``resp_result.result``.

        An empty result (``resp_code`` 405) is ``{}``. Transient failures are retried up to
        ``max_retries`` times within ``deadline`` seconds, each attempt freshly signed.

        :raise ApiError: the last failure, or whatever ``before_attempt`` raised.
        """
        app_params = clean_params(params)
        started = self._clock()
        attempt = 0
        while True:
            if self._before_attempt is not None:
                self._before_attempt(method)  # may raise to stop before any HTTP traffic
            remaining = self.deadline - (self._clock() - started)
            try:
                result = self._attempt(method, app_params, remaining)
            except ApiError as error:
                if self._after_attempt is not None:
                    self._after_attempt(method, error)
                wait = self._retry_wait(error, attempt, started)
                if wait is None:
                    logger.info(
                        "%s failed after %d attempt(s): %s",
                        method,
                        attempt + 1,
                        type(error).__name__,
                    )
                    raise
                logger.info(
                    "%s attempt %d failed (%s: %s); retrying in %.2f s",
                    method,
                    attempt + 1,
                    type(error).__name__,
                    error,
                    wait,
                )
                self._sleep(wait)
                attempt += 1
                continue
            if self._after_attempt is not None:
                self._after_attempt(method, None)
            return result

    def _retry_wait(self, error: ApiError, attempt: int, started: float) -> float | None:
        """Seconds to wait before retrying, or None when the error must be raised now."""
        if not error.retryable or attempt >= self.max_retries:
            return None
        ceiling = min(self._backoff_cap, self._backoff_base * 2**attempt)
        wait = self._rng.uniform(0.0, ceiling)
        if isinstance(error, ApiCallLimit):
            wait = max(wait, error.ban_seconds + BAN_MARGIN)
        elapsed = self._clock() - started
        if elapsed + wait >= self.deadline:
            return None  # the answer would come too late to be of use
        return wait

    def _attempt(
        self, method: str, app_params: Mapping[str, str], remaining: float
    ) -> dict[str, Any]:
        form = signed_params(
            method,
            app_params,
            app_key=self.app_key,
            secret=self.__secret,
            sign_method=self.sign_method,
            timestamp_ms=int(self._clock() * 1000),  # fresh per attempt: a retry re-signs
        )
        body = urlencode(form).encode("ascii")
        timeout = self._attempt_timeout(remaining)
        # httpx's read timeout is per chunk: a gateway dripping bytes could hold the call
        # forever, so the body must also arrive before the call's own deadline.
        read_until = self._clock() + max(0.1, remaining)
        logger.debug("calling %s", method)
        try:
            with self._http.stream("POST", self.api_url, content=body, timeout=timeout) as answer:
                content = self._read_capped(answer, read_until)
                status = answer.status_code
        except httpx.TimeoutException as exc:
            raise GatewayUnavailable(f"{self._host} did not answer in time") from exc
        except httpx.ConnectError as exc:
            raise GatewayUnavailable(f"could not connect to {self._host}") from exc
        except httpx.TransportError as exc:
            raise GatewayUnavailable(
                f"the connection to {self._host} failed ({type(exc).__name__})"
            ) from exc
        except httpx.HTTPError as exc:
            raise GatewayUnavailable(
                f"could not call {self._host} ({type(exc).__name__})", retryable=False
            ) from exc
        return parse_response(method, status, content)

    def _attempt_timeout(self, remaining: float) -> httpx.Timeout:
        budget = max(0.1, remaining)

        def capped(value: float | None) -> float:
            return budget if value is None else min(value, budget)

        return httpx.Timeout(
            connect=capped(self._timeout.connect),
            read=capped(self._timeout.read),
            write=capped(self._timeout.write),
            pool=capped(self._timeout.pool),
        )

    def _read_capped(self, answer: httpx.Response, read_until: float) -> bytes:
        chunks: list[bytes] = []
        size = 0
        for chunk in answer.iter_bytes():
            size += len(chunk)
            if size > MAX_BODY_BYTES:
                raise GatewayUnavailable("AliExpress sent an answer far larger than expected")
            if self._clock() > read_until:
                raise GatewayUnavailable(f"{self._host} did not answer in time")
            chunks.append(chunk)
        return b"".join(chunks)

    # -- typed methods ----------------------------------------------------------------------

    def product_details(
        self,
        ids: Sequence[str],
        *,
        country: str | None = None,
        currency: str | None = None,
        language: str | None = None,
        tracking_id: str | None = None,
    ) -> dict[str, Product]:
        """Products by global id, in the order asked; one call per ``batch_size`` ids.

        Results are matched by id, never by position. An id missing from the answer (not
        found or not promotable, including ``resp_code`` 405) is missing from the dict.
        A failing batch raises; callers wanting partial results pass one batch at a time.

        :raise ProductIdError: an id is not a string of digits.
        """
        wanted = _product_ids(ids)
        found: dict[str, Product] = {}
        for batch in _chunks(wanted, self.batch_size):
            result = self.call(
                PRODUCT_DETAIL,
                {
                    "product_ids": ",".join(batch),
                    "target_currency": currency or self.currency,
                    "target_language": language or self.language,
                    "tracking_id": tracking_id or self.tracking_id,
                    "country": country or self.country,
                },
            )
            asked = set(batch)
            products = parse_products(result.get("products"), media_base_url=self.media_base_url)
            for product in products:
                if product.id in asked:
                    found.setdefault(product.id, product)
        return {product_id: found[product_id] for product_id in wanted if product_id in found}

    def search(self, query: ProductQuery) -> ProductPage:
        """One page of a search: ``product.query`` for a ``ProductQuery``, ``hotproduct.query``
        for a ``HotProductQuery``. An empty search is an empty page."""
        defaults = Defaults(
            country=self.country,
            currency=self.currency,
            language=self.language,
            tracking_id=self.tracking_id,
        )
        result = self.call(query.method, query.params(defaults))
        return ProductPage.from_api(
            result,
            page_no=query.page_no,
            page_size=query.page_size,
            media_base_url=self.media_base_url,
        )

    def generate_links(self, request: LinkRequest) -> dict[str, str | None]:
        """Affiliate links for product URLs, keyed by the URL as asked (stripped), in order.

        Up to 50 URLs per call. Answers are matched by ``source_value``, never by position; a
        URL AliExpress did not convert, or converted to a link off AliExpress, maps to None.

        :raise SettingsError: no tracking id is configured.
        """
        tracking = request.tracking_id or self.tracking_id
        if not tracking:
            raise SettingsError({"tracking_id": "a Tracking ID is needed to create links"})
        links: dict[str, str | None] = dict.fromkeys(request.urls)
        for batch in _chunks(request.urls, MAX_LINKS_PER_CALL):
            result = self.call(
                LINK_GENERATE,
                {
                    "promotion_link_type": request.link_type,
                    "source_values": ",".join(batch),
                    "tracking_id": tracking,
                },
            )
            links.update(match_links(batch, result))
        return links

    def categories(self) -> list[Category]:
        """All affiliate categories (top level and children)."""
        return parse_categories(self.call(CATEGORY_GET, {}))
