"""The response envelope: one gateway answer (HTTP status + body) in, its ``result`` out, or
the error from ``affsite.aliexpress.errors`` that the answer describes.

Three shapes arrive. A gateway refusal is ``{"error_response": {"type", "code", "msg", ...}}``
(system APIs send it flat); a business answer is ``{"<method>_response": {"resp_result":
{"resp_code", "resp_msg", "result"}}}``; some newer methods put ``result`` right under the
wrapper. Everything here is pure and untrusted input is bounded: texts are cut to printable
snippets, a ban lasts at most a day, and integers too long to be any field are not parsed.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import Any, Final

from affsite.aliexpress.errors import (
    ApiCallLimit,
    ApiError,
    ApiResponseError,
    GatewayUnavailable,
    IncompleteSignature,
    InvalidAppKey,
    PublisherNotRegistered,
)
from affsite.aliexpress.parsing import text

__all__ = ["MAX_BAN_SECONDS", "parse_ban_seconds", "parse_response", "response_key"]

MAX_BAN_SECONDS: Final = 86_400.0
"""AliExpress's longest ban (quota exceeded) lasts until midnight Beijing time: under a day."""

_BAN_SECONDS = re.compile(
    r"ban will last (?:for )?([0-9]{1,12}(?:\.[0-9]{1,6})?) (?:more )?seconds?", re.I
)
_SERVICE_ERROR_TYPES = {"ISP", "SYSTEM"}
# JSON integers longer than this are no field's value; parsing them costs quadratic time.
_MAX_INT_DIGITS = 40

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


def response_key(method: str) -> str:
    """The wrapper key of a business answer.

    >>> response_key("aliexpress.affiliate.category.get")
    'aliexpress_affiliate_category_get_response'
    """
    return method.replace(".", "_") + "_response"


def parse_ban_seconds(message: str | None, default: float = 1.0) -> float:
    """Seconds from "… this ban will last N seconds" (also the TOP "for N more seconds"),
    at most ``MAX_BAN_SECONDS``.

    >>> parse_ban_seconds("Api access frequency exceeds the limit. this ban will last 1 seconds")
    1.0
    >>> parse_ban_seconds("This ban will last for 37 more seconds")
    37.0
    >>> parse_ban_seconds("too fast"), parse_ban_seconds("ban will last 999999999999 seconds")
    (1.0, 86400.0)
    """
    match = _BAN_SECONDS.search(message or "")
    return min(float(match.group(1)), MAX_BAN_SECONDS) if match else default


def short(value: Any, limit: int = 200) -> str:
    """Upstream text made safe to show: printable characters only, bounded length.

    >>> short("a\\x1b[2Jb"), short("x" * 10, 5)
    ('a [2Jb', 'xxxx…')
    """
    raw = text(value) or ""
    if len(raw) > limit:
        raw = raw[: limit - 1] + "…"
    return "".join(ch if ch.isprintable() else " " for ch in raw)


def _bounded_int(digits: str) -> int | None:
    return int(digits) if len(digits) <= _MAX_INT_DIGITS else None


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
    code = short(body.get("code"), 64)
    message = short(body.get("msg") or body.get("message") or body.get("sub_msg"))
    sub_message = short(body.get("sub_msg"))
    kind = short(body.get("type"), 16).upper()
    request_id = short(body.get("request_id"), 64) or None
    described = f"AliExpress error {code or 'without a code'}: {message or 'no message'}"

    if code in ("IncompleteSignature", "25"):
        return IncompleteSignature(described, code=code, request_id=request_id)
    if code in ("InvalidAppKey", "MissingAppKey", "28", "29"):
        return InvalidAppKey(described, code=code, request_id=request_id)
    if code in ("ApiCallLimit", "AppCallLimit", "7", "8"):
        # "this ban will last N seconds" lives in msg (IOP) or sub_msg (TOP).
        ban = max(1.0, _ban_of(message, sub_message))
        return ApiCallLimit(ban, described, code=code, request_id=request_id)
    if kind in _SERVICE_ERROR_TYPES or code in ("15", "50"):
        return GatewayUnavailable(described, code=code, request_id=request_id)
    return ApiResponseError(
        described, code=code or None, request_id=request_id, fix=_CODE_FIXES.get(code)
    )


def _ban_of(*messages: str) -> float:
    for message in messages:
        seconds = parse_ban_seconds(message, default=-1.0)
        if seconds >= 0:
            return seconds
    return 1.0


def _resp_code(value: Any) -> str | None:
    """``resp_code`` as text whether it came as 200, 200.0 or "200"."""
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e6:
        return str(int(value))
    if isinstance(value, str | int):
        return short(value, 16)
    return short(str(value), 16)


def parse_response(method: str, status: int, body: bytes) -> dict[str, Any]:
    """Interpret one gateway answer; return ``result`` (``{}`` for an empty result).

    Order matters: an ``error_response`` is reported as what it says whatever the HTTP
    status; then HTTP errors; then the ``<method>_response`` envelope, whose ``resp_code``
    is compared as text ("200" ok, "405" empty, "401" publisher not registered).

    :raise ApiError: the matching subclass; ``GatewayUnavailable`` for anything unexpected.
    """
    try:
        data: Any = json.loads(body.decode("utf-8"), parse_int=_bounded_int)
    except (UnicodeDecodeError, ValueError, RecursionError):
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
    message = short(envelope.get("resp_msg"))
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
