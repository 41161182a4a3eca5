"""A signed client for the AliExpress Affiliate API (``/sync`` business gateway).

One pooled ``httpx.Client`` with explicit timeouts; the transport is a constructor argument
so tests and demo mode plug in ``httpx.MockTransport`` or the in-process sandbox. Every call
goes through ``call()``: it signs the parameters with a fresh timestamp, POSTs them all as a
form body (nothing in the URL, so nothing secret reaches httpx's request log), parses the
envelope and maps failures onto the error tree in ``affsite.aliexpress.errors``. Typed
methods (``product_details``, ``query_products``, ``hot_products``, ``generate_links``,
``categories``) build on it.

Retries are bounded by count (``max_retries``) and by a total deadline. Only transient
failures are retried, with full-jitter backoff; a rate-limit ban is waited out first. Each
HTTP attempt, retries included, is bracketed by the ``before_attempt``/``after_attempt``
hooks, which is where shared quota, rate limiting and circuit breaking plug in.
"""

from __future__ import annotations

import json
import logging
import random
from collections.abc import Callable, Iterator, Mapping, Sequence
from enum import StrEnum
from types import TracebackType
from typing import Any, Final
from urllib.parse import urlencode, urlsplit

import httpx

from affsite.aliexpress.errors import (
    ApiCallLimit,
    ApiError,
    ApiResponseError,
    GatewayUnavailable,
    IncompleteSignature,
    InvalidAppKey,
    PublisherNotRegistered,
    parse_ban_seconds,
)
from affsite.aliexpress.models import (
    Category,
    Product,
    ProductPage,
    global_id,
    parse_categories,
    parse_products,
    safe_url,
    text,
    unwrap_list,
)
from affsite.aliexpress.signing import SIGN_METHODS, ParamValue, clean_params, signed_params
from affsite.clock import Clock, Sleeper, system_clock, system_sleep
from affsite.errors import ProductIdError, SettingsError
from affsite.settings import DEFAULT_API_URL

__all__ = [
    "DEFAULT_API_URL",
    "DEFAULT_TIMEOUT",
    "AliExpressClient",
    "PlatformProductType",
    "ProductSort",
    "parse_response",
    "response_key",
]

logger = logging.getLogger("affsite.aliexpress")

PRODUCT_DETAIL: Final = "aliexpress.affiliate.productdetail.get"
PRODUCT_QUERY: Final = "aliexpress.affiliate.product.query"
HOT_PRODUCT_QUERY: Final = "aliexpress.affiliate.hotproduct.query"
LINK_GENERATE: Final = "aliexpress.affiliate.link.generate"
CATEGORY_GET: Final = "aliexpress.affiliate.category.get"

MAX_BATCH_SIZE: Final = 50
MAX_LINKS_PER_CALL: Final = 50
MAX_PAGE_SIZE: Final = 50
DELIVERY_DAYS: Final = (3, 5, 7, 10)

DEFAULT_TIMEOUT: Final = httpx.Timeout(connect=3.0, read=10.0, write=10.0, pool=3.0)
DEFAULT_DEADLINE: Final = 20.0  # seconds for a whole call, retries included (< gunicorn's 30 s)
MAX_BODY_BYTES: Final = 4 * 1024 * 1024  # a 50-product answer is ~100 KB
BAN_MARGIN: Final = 0.05  # the gateway rounds ban times; retry just after, not at, the edge

_FORM_CONTENT_TYPE = "application/x-www-form-urlencoded; charset=UTF-8"
_SERVICE_ERROR_TYPES = {"ISP", "SYSTEM"}

# Extra advice for codes that have no class of their own.
_CODE_FIXES = {
    "InvalidTimestamp": "The server clock is wrong: synchronise it (NTP) and try again.",
    "InsufficientPermission": (
        "This App Key may not call the Affiliate API: check the app's API permissions in the "
        "AliExpress Open Platform console."
    ),
    "InvalidApiPath": "The gateway does not know this API: check the API URL setting.",
    "InvalidMethod": "The gateway does not know this API: check the API URL setting.",
}


class ProductSort(StrEnum):
    """Sort orders of ``product.query`` (the DISCOUNT ones: ``hotproduct.query``)."""

    SALE_PRICE_ASC = "SALE_PRICE_ASC"
    SALE_PRICE_DESC = "SALE_PRICE_DESC"
    LAST_VOLUME_ASC = "LAST_VOLUME_ASC"
    LAST_VOLUME_DESC = "LAST_VOLUME_DESC"
    DISCOUNT_ASC = "DISCOUNT_ASC"
    DISCOUNT_DESC = "DISCOUNT_DESC"


class PlatformProductType(StrEnum):
    ALL = "ALL"
    PLAZA = "PLAZA"
    TMALL = "TMALL"


def response_key(method: str) -> str:
    """The wrapper key of a business answer.

    >>> response_key("aliexpress.affiliate.category.get")
    'aliexpress_affiliate_category_get_response'
    """
    return method.replace(".", "_") + "_response"


def _short(value: Any, limit: int = 200) -> str:
    """Upstream text made safe to show: printable characters only, bounded length."""
    raw = text(value) or ""
    cleaned = "".join(ch if ch.isprintable() else " " for ch in raw)
    return cleaned if len(cleaned) <= limit else cleaned[: limit - 1] + "…"


def _gateway_error(data: Mapping[str, Any]) -> ApiError | None:
    """The error an ``error_response`` (or the flat system-API error body) describes."""
    body = data.get("error_response")
    flat = "code" in data and "type" in data
    if body is None and flat and not any(str(key).endswith("_response") for key in data):
        body = data
    if body is None:
        return None
    if not isinstance(body, Mapping):
        return GatewayUnavailable("AliExpress sent an error in an unexpected shape")
    code = text(body.get("code")) or ""
    message = _short(body.get("msg") or body.get("message") or body.get("sub_msg"))
    sub_message = _short(body.get("sub_msg"))
    kind = (text(body.get("type")) or "").upper()
    request_id = text(body.get("request_id"))
    described = f"AliExpress error {code or 'without a code'}: {message or 'no message'}"

    if code in ("IncompleteSignature", "25"):
        return IncompleteSignature(described, code=code, request_id=request_id)
    if code in ("InvalidAppKey", "MissingAppKey", "28", "29"):
        return InvalidAppKey(described, code=code, request_id=request_id)
    if code in ("ApiCallLimit", "AppCallLimit", "7", "8"):
        # "this ban will last N seconds" lives in msg (IOP) or sub_msg (TOP).
        ban = max(1.0, _parse_ban(message, sub_message))
        return ApiCallLimit(ban, described, code=code, request_id=request_id)
    if kind in _SERVICE_ERROR_TYPES or code in ("15", "50"):
        return GatewayUnavailable(described, code=code, request_id=request_id)
    return ApiResponseError(
        described, code=code or None, request_id=request_id, fix=_CODE_FIXES.get(code)
    )


def _parse_ban(*messages: str) -> float:
    for message in messages:
        seconds = parse_ban_seconds(message, default=-1.0)
        if seconds >= 0:
            return seconds
    return 1.0


def _resp_code(value: Any) -> str | None:
    """``resp_code`` as text whether it came as 200, 200.0 or "200"."""
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return text(value) if isinstance(value, str | int) else str(value)


def parse_response(method: str, status: int, body: bytes) -> dict[str, Any]:
    """Interpret one gateway answer; return ``result`` (``{}`` for an empty result).

    Order matters: an ``error_response`` is reported as what it says whatever the HTTP
    status; then HTTP errors; then the ``<method>_response`` envelope, whose ``resp_code``
    is compared as text ("200" ok, "405" empty, "401" publisher not registered).

    :raise ApiError: the matching subclass; ``GatewayUnavailable`` for anything unexpected.
    """
    try:
        data: Any = json.loads(body.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        data = None

    if isinstance(data, Mapping):
        error = _gateway_error(data)
        if error is not None:
            raise error
    if status >= 500:
        raise GatewayUnavailable(f"AliExpress answered HTTP {status}")
    if status != 200:
        # 408/429 may pass; any other status means the API URL does not point at the gateway.
        raise GatewayUnavailable(
            f"AliExpress answered HTTP {status}", retryable=status in (408, 429)
        )
    if data is None:
        looks_like_html = body.lstrip()[:1] == b"<"
        raise GatewayUnavailable(
            "AliExpress answered with a web page instead of JSON"
            if looks_like_html
            else "AliExpress sent an answer that is not valid JSON (empty or cut off)"
        )
    if not isinstance(data, Mapping):
        raise GatewayUnavailable("AliExpress sent JSON of an unexpected shape")
    wrapper = data.get(response_key(method))
    if not isinstance(wrapper, Mapping):
        raise GatewayUnavailable(f"AliExpress sent no {response_key(method)} in its answer")

    envelope = wrapper.get("resp_result")
    if envelope is None:
        # Some newer methods put ``result`` directly under the wrapper.
        if "result" not in wrapper:
            raise GatewayUnavailable("AliExpress sent an answer without a result")
        return _result_object(wrapper.get("result"))
    if not isinstance(envelope, Mapping):
        raise GatewayUnavailable("AliExpress sent a resp_result of an unexpected shape")

    code = _resp_code(envelope.get("resp_code"))
    message = _short(envelope.get("resp_msg"))
    if code is None and "result" not in envelope:
        raise GatewayUnavailable("AliExpress sent a resp_result without a resp_code")
    if code in ("200", None):
        return _result_object(envelope.get("result"))
    if code == "405":  # "The result is empty": nothing found or nothing promotable.
        return {}
    if code == "401":
        raise PublisherNotRegistered(
            f"AliExpress answered resp_code 401: {message or 'publisher not registered'}",
            code=code,
        )
    raise ApiResponseError(
        f"AliExpress answered resp_code {code}: {message or 'no message'}", code=code
    )


def _result_object(result: Any) -> dict[str, Any]:
    if result is None or result == "":
        return {}
    if not isinstance(result, Mapping):
        raise GatewayUnavailable("AliExpress sent a result of an unexpected shape")
    return dict(result)


def _chunks(items: Sequence[str], size: int) -> Iterator[Sequence[str]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def _unique(items: Sequence[str]) -> list[str]:
    return list(dict.fromkeys(items))


def _product_ids(ids: Sequence[str] | str) -> list[str]:
    if isinstance(ids, str):
        ids = [ids]
    checked: list[str] = []
    for raw in ids:
        product_id = global_id(raw)
        if product_id is None:
            raise ProductIdError(f"not a product id: {_short(raw, 40)!r}")
        checked.append(product_id)
    return _unique(checked)


def _link_key(url: str) -> str:
    """Loose identity of a URL, for matching a normalised ``source_value`` echo."""
    parts = urlsplit(url if "//" in url else "//" + url)
    host = (parts.hostname or "").lower().removeprefix("www.")
    return f"{host}{parts.path.rstrip('/')}"


class AliExpressClient:
    """Signed, retrying client for one App Key. Thread-safe; reuse it (it pools connections).

    ``country``, ``currency``, ``language`` and ``tracking_id`` are defaults every typed method
    sends; each method can override them per call. Extra knobs beyond the shared interface:
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
        batch_size: int = 20,
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
        parts = urlsplit(api_url)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            problems["api_url"] = "must be an http(s) address"
        if max_retries < 0:
            problems["max_retries"] = "must not be negative"
        if problems:
            raise SettingsError(problems)

        self.app_key = app_key.strip()
        self.__secret = app_secret
        self.api_url = api_url
        self._host = parts.hostname or "the API address"
        self.sign_method = sign_method
        self.tracking_id = tracking_id or None
        self.country = country or None
        self.currency = currency or None
        self.language = language or None
        self.batch_size = batch_size
        self.max_retries = max_retries
        self.deadline = deadline
        self._clock = clock
        self._sleep = sleep
        self._before_attempt = before_attempt
        self._after_attempt = after_attempt
        self._timeout = timeout
        self._backoff_base = backoff_base
        self._backoff_cap = backoff_cap
        self._rng = rng or random.Random()  # noqa: S311 - jitter, not security
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
            for product in parse_products(result.get("products")):
                if product.id in asked:
                    found.setdefault(product.id, product)
        return {product_id: found[product_id] for product_id in wanted if product_id in found}

    def query_products(
        self,
        keywords: str | None = None,
        *,
        category_ids: Sequence[str | int] = (),
        sort: ProductSort | str | None = None,
        min_price: int | None = None,
        max_price: int | None = None,
        page_no: int = 1,
        page_size: int = 20,
        ship_to_country: str | None = None,
        delivery_days: int | None = None,
        platform_product_type: PlatformProductType | str | None = None,
        currency: str | None = None,
        language: str | None = None,
        tracking_id: str | None = None,
    ) -> ProductPage:
        """One page of a keyword/category search. Prices are in the currency's smallest
        unit (cents): ``min_price=3141`` is 31.41. An empty search is an empty page.

        :raise ValueError: a parameter outside what the API accepts.
        """
        return self._search(
            PRODUCT_QUERY,
            keywords,
            category_ids=category_ids,
            sort=sort,
            min_price=min_price,
            max_price=max_price,
            page_no=page_no,
            page_size=page_size,
            ship_to_country=ship_to_country,
            delivery_days=delivery_days,
            platform_product_type=platform_product_type,
            currency=currency,
            language=language,
            tracking_id=tracking_id,
        )

    def hot_products(
        self,
        keywords: str | None = None,
        *,
        category_ids: Sequence[str | int] = (),
        sort: ProductSort | str | None = None,
        min_price: int | None = None,
        max_price: int | None = None,
        page_no: int = 1,
        page_size: int = 20,
        ship_to_country: str | None = None,
        delivery_days: int | None = None,
        platform_product_type: PlatformProductType | str | None = None,
        currency: str | None = None,
        language: str | None = None,
        tracking_id: str | None = None,
    ) -> ProductPage:
        """Like ``query_products``, restricted to hot (high-commission) products."""
        return self._search(
            HOT_PRODUCT_QUERY,
            keywords,
            category_ids=category_ids,
            sort=sort,
            min_price=min_price,
            max_price=max_price,
            page_no=page_no,
            page_size=page_size,
            ship_to_country=ship_to_country,
            delivery_days=delivery_days,
            platform_product_type=platform_product_type,
            currency=currency,
            language=language,
            tracking_id=tracking_id,
        )

    def _search(
        self,
        method: str,
        keywords: str | None,
        *,
        category_ids: Sequence[str | int],
        sort: ProductSort | str | None,
        min_price: int | None,
        max_price: int | None,
        page_no: int,
        page_size: int,
        ship_to_country: str | None,
        delivery_days: int | None,
        platform_product_type: PlatformProductType | str | None,
        currency: str | None,
        language: str | None,
        tracking_id: str | None,
    ) -> ProductPage:
        if not 1 <= page_size <= MAX_PAGE_SIZE:
            raise ValueError(f"page_size must be between 1 and {MAX_PAGE_SIZE}")
        if page_no < 1:
            raise ValueError("page_no starts at 1")
        for name, price in (("min_price", min_price), ("max_price", max_price)):
            if price is not None and (isinstance(price, bool) or not isinstance(price, int)):
                raise ValueError(f"{name} is an int in the smallest currency unit")
            if price is not None and price < 0:
                raise ValueError(f"{name} must not be negative")
        if min_price is not None and max_price is not None and min_price > max_price:
            raise ValueError("min_price is above max_price")
        if delivery_days is not None and delivery_days not in DELIVERY_DAYS:
            raise ValueError(f"delivery_days must be one of {DELIVERY_DAYS}")
        categories = [global_id(value) for value in category_ids]
        if any(category is None for category in categories):
            raise ValueError("category ids are strings of digits")
        result = self.call(
            method,
            {
                "keywords": (keywords or "").strip() or None,
                "category_ids": ",".join(c for c in categories if c) or None,
                "sort": ProductSort(sort).value if sort else None,
                "min_sale_price": min_price,
                "max_sale_price": max_price,
                "page_no": page_no,
                "page_size": page_size,
                "ship_to_country": ship_to_country or self.country,
                "delivery_days": delivery_days,
                "platform_product_type": (
                    PlatformProductType(platform_product_type).value
                    if platform_product_type
                    else None
                ),
                "target_currency": currency or self.currency,
                "target_language": language or self.language,
                "tracking_id": tracking_id or self.tracking_id,
            },
        )
        return ProductPage.from_api(result, page_no=page_no, page_size=page_size)

    def generate_links(
        self,
        urls: Sequence[str],
        *,
        hot: bool = False,
        tracking_id: str | None = None,
    ) -> dict[str, str | None]:
        """Affiliate links for product URLs, keyed by the URL as given, in the order asked.

        Normal links (``promotion_link_type`` 0) or hot links (2); up to 50 URLs per call.
        Answers are matched by ``source_value``, never by position; a URL AliExpress did not
        convert maps to None.

        :raise SettingsError: no tracking id is configured.
        :raise ValueError: a URL is empty or contains a comma (the list separator).
        """
        tracking = tracking_id or self.tracking_id
        if not tracking:
            raise SettingsError({"tracking_id": "a Tracking ID is needed to create links"})
        wanted = _unique([url.strip() for url in urls])
        for url in wanted:
            if not url or "," in url:
                raise ValueError(f"cannot send this URL to link.generate: {_short(url, 80)!r}")
        links: dict[str, str | None] = dict.fromkeys(wanted)
        for batch in _chunks(wanted, MAX_LINKS_PER_CALL):
            result = self.call(
                LINK_GENERATE,
                {
                    "promotion_link_type": 2 if hot else 0,
                    "source_values": ",".join(batch),
                    "tracking_id": tracking,
                },
            )
            self._match_links(batch, result, links)
        return links

    @staticmethod
    def _match_links(
        batch: Sequence[str], result: Mapping[str, Any], links: dict[str, str | None]
    ) -> None:
        by_key: dict[str, list[str]] = {}
        for url in batch:
            by_key.setdefault(_link_key(url), []).append(url)
        for item in unwrap_list(result.get("promotion_links"), "promotion_link"):
            if not isinstance(item, Mapping):
                continue
            source = text(item.get("source_value"))
            link = safe_url(item.get("promotion_link"))
            if source is None or link is None:
                continue
            if source in batch:
                links[source] = link
                continue
            # The gateway may echo a normalised form; match it loosely, first unmatched wins.
            for url in by_key.get(_link_key(source), []):
                if links[url] is None:
                    links[url] = link
                    break

    def categories(self) -> list[Category]:
        """All affiliate categories (top level and children)."""
        return parse_categories(self.call(CATEGORY_GET, {}))
