"""An independent signer and a tiny raw gateway caller for driving the sandbox in tests.

The signer is written here from the documented algorithm (not imported from the client or the
sandbox), so the sandbox's verification is checked against a third implementation.
"""

from __future__ import annotations

import hashlib
import hmac
from typing import Any

import httpx

from affsite.aliexpress.sandbox import DEMO_APP_KEY, DEMO_APP_SECRET


def reference_sign(params: dict[str, str], secret: str, sign_method: str) -> str:
    """sha256: HMAC-SHA256(secret, k1v1k2v2...); md5: MD5(secret + k1v1k2v2... + secret)."""
    text = "".join(f"{name}{params[name]}" for name in sorted(params) if name != "sign")
    if sign_method == "sha256":
        return hmac.new(secret.encode(), text.encode(), hashlib.sha256).hexdigest().upper()
    if sign_method == "md5":
        return hashlib.md5((secret + text + secret).encode()).hexdigest().upper()  # noqa: S324
    raise ValueError(sign_method)


def signed(
    method: str,
    *,
    timestamp_ms: int,
    sign_method: str = "sha256",
    app_key: str = DEMO_APP_KEY,
    secret: str = DEMO_APP_SECRET,
    **params: str,
) -> dict[str, str]:
    """A complete, signed parameter set as a correct client would send it."""
    full = {
        "app_key": app_key,
        "method": method,
        "sign_method": sign_method,
        "timestamp": str(timestamp_ms),
        "format": "json",
        "v": "2.0",
        **params,
    }
    full["sign"] = reference_sign(full, secret, sign_method)
    return full


def result_of(body: dict[str, Any], method: str) -> dict[str, Any]:
    """``resp_result`` of a successful business answer, asserting the envelope on the way."""
    wrapper = body[method.replace(".", "_") + "_response"]
    assert isinstance(wrapper["request_id"], str) and wrapper["request_id"]
    resp_result: dict[str, Any] = wrapper["resp_result"]
    return resp_result


def error_of(response: httpx.Response) -> dict[str, Any]:
    """The ``error_response`` of a gateway refusal (always HTTP 200, like the real one)."""
    assert response.status_code == 200
    error: dict[str, Any] = response.json()["error_response"]
    assert error["type"] == "ISV" and error["request_id"]
    return error
