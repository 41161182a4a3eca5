"""Request signing for the AliExpress Open Platform gateway.

The gateway recomputes a digest over every parameter it receives (except ``sign``) and
rejects the call with ``IncompleteSignature`` when it differs. The string to sign is the
parameter names in ASCII order, each followed by its raw (not URL-encoded) value, with no
separators. ``sha256`` is HMAC-SHA256 keyed with the App Secret; ``md5`` is the older
TOP style, MD5 over ``secret + string + secret``. System APIs (a path such as
``/auth/token/create`` instead of a ``method`` parameter) prepend that path.

Everything here is pure: no clock, no I/O. ``signed_params`` takes the timestamp as an
argument so callers decide where time comes from.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Mapping

SIGN_METHODS = ("sha256", "md5")
"""The sign methods the gateway documents for business APIs; ``sha256`` is the default."""

# TOP-era variants: kept because the signing rules are shared, not offered in settings.
_EXTRA_SIGN_METHODS = ("hmac", "hmac-sha256")

ParamValue = str | int | None


def string_to_sign(params: Mapping[str, str], api_path: str | None = None) -> str:
    """The exact text the digest covers: ``[api_path]k1v1k2v2…`` with names sorted.

    >>> string_to_sign({"b": "2", "a": "1", "a_b": "3"})
    'a1a_b3b2'
    >>> string_to_sign({"code": "x"}, api_path="/auth/token/create")
    '/auth/token/createcodex'
    """
    body = "".join(f"{name}{params[name]}" for name in sorted(params) if name != "sign")
    return f"{api_path}{body}" if api_path else body


def sign(
    params: Mapping[str, str],
    secret: str,
    sign_method: str,
    api_path: str | None = None,
) -> str:
    """Return the upper-case hex signature of ``params`` (any ``sign`` entry is ignored).

    ``api_path`` is given only for system APIs (those addressed by path, not ``method``).
    Values are signed exactly as given: pass the decoded strings the server will see.

    >>> sign({"app_key": "12345678", "method": "aliexpress.affiliate.category.get",
    ...       "sign_method": "sha256", "timestamp": "1517820392000"}, "helloworld", "sha256")
    'F3ABBAB059750C3CD6D341A2FDA939ECB0FA892120E9196270ED67D6EC1511DD'
    >>> sign({"app_key": "12345", "method": "aliexpress.affiliate.category.get"},
    ...      "my_secret", "md5")
    'E2B0571423115824CE1C4CD47457FC24'
    >>> sign({}, "s", "sha1")
    Traceback (most recent call last):
    ...
    ValueError: unsupported sign method 'sha1' (use 'sha256' or 'md5')
    """
    text = string_to_sign(params, api_path).encode("utf-8")
    key = secret.encode("utf-8")
    if sign_method in ("sha256", "hmac-sha256"):
        digest = hmac.new(key, text, hashlib.sha256).hexdigest()
    elif sign_method == "md5":
        digest = hashlib.md5(key + text + key, usedforsecurity=False).hexdigest()
    elif sign_method == "hmac":
        digest = hmac.new(key, text, hashlib.md5).hexdigest()
    else:
        raise ValueError(f"unsupported sign method {sign_method!r} (use 'sha256' or 'md5')")
    return digest.upper()


def clean_params(params: Mapping[str, ParamValue]) -> dict[str, str]:
    """Drop ``None`` and ``""`` values and turn ints into decimal strings.

    The gateway signs what it receives, so an empty parameter is at best noise and at worst
    a literal ``"None"`` in the signature; booleans are refused because ``str(True)`` is not
    a value the API understands.

    >>> clean_params({"page_no": 2, "keywords": "", "sort": None, "x": "y"})
    {'page_no': '2', 'x': 'y'}
    """
    cleaned: dict[str, str] = {}
    for name, value in params.items():
        if value is None or value == "":
            continue
        if isinstance(value, bool):
            raise TypeError(f"parameter {name!r}: send 'true'/'false' strings, not a bool")
        if isinstance(value, int):
            cleaned[name] = str(value)
        elif isinstance(value, str):
            cleaned[name] = value
        else:
            raise TypeError(f"parameter {name!r}: expected str or int, got {type(value).__name__}")
    return cleaned


def signed_params(
    method: str,
    params: Mapping[str, ParamValue],
    *,
    app_key: str,
    secret: str,
    sign_method: str,
    timestamp_ms: int,
) -> dict[str, str]:
    """Everything a business API call sends: application + system parameters + ``sign``.

    System parameters: ``app_key``, ``method``, ``timestamp`` (epoch milliseconds),
    ``sign_method``, ``format=json`` and ``v=2.0``. They win over same-named entries in
    ``params`` so a caller cannot send a key twice.

    >>> sent = signed_params("aliexpress.affiliate.category.get", {"partner_id": None},
    ...                      app_key="1", secret="s", sign_method="md5", timestamp_ms=5)
    >>> sorted(sent)
    ['app_key', 'format', 'method', 'sign', 'sign_method', 'timestamp', 'v']
    """
    if sign_method not in SIGN_METHODS + _EXTRA_SIGN_METHODS:
        raise ValueError(f"unsupported sign method {sign_method!r} (use 'sha256' or 'md5')")
    values = clean_params(params)
    values.pop("sign", None)
    values.update(
        {
            "app_key": app_key,
            "method": method,
            "timestamp": str(timestamp_ms),
            "sign_method": sign_method,
            "format": "json",
            "v": "2.0",
        }
    )
    values["sign"] = sign(values, secret, sign_method)
    return values
