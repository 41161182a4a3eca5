"""The gateway's fixed facts, and what a usable gateway address is (issue 8, row 10)."""

from __future__ import annotations

import pytest

from affsite.aliexpress.protocol import DEFAULT_API_URL, MAX_BATCH_SIZE, api_url_problem
from affsite.aliexpress.signing import SIGN_METHODS


def test_the_documented_gateway_and_limits() -> None:
    assert DEFAULT_API_URL == "https://api-sg.aliexpress.com/sync"
    assert MAX_BATCH_SIZE == 50
    assert SIGN_METHODS == ("sha256", "md5")


@pytest.mark.parametrize(
    "url",
    [
        DEFAULT_API_URL,
        "http://127.0.0.1:8765/sync",
        "https://[::1]:8443/sync",
        "https://api-sg.aliexpress.com",
        "HTTPS://API-SG.ALIEXPRESS.COM/sync",
        "http://sandbox.invalid/sync",
    ],
)
def test_origins_with_a_path_are_usable(url: str) -> None:
    assert api_url_problem(url) is None


@pytest.mark.parametrize(
    "url",
    [
        "https://api-sg.aliexpress.com/sync; script-src 'unsafe-inline'",
        "https://api-sg.aliexpress.com/sync script-src *",
        "https://api-sg.aliexpress.com/sync;frame-ancestors *",
        "https://evil.example/sync'",
        'https://evil.example/"sync',
        "https://evil.example,https://x.test/sync",
        "https://evil.example/sync?x=1",
        "https://evil.example/sync#x",
        "https://evil.example/sy\tnc",
        "https://evil.example/sy\nnc",
        "https://evil.example/sync\x00",
        "https://user:pw@evil.example/sync",
        "https://evil.example@api-sg.aliexpress.com/sync",
        "https://evil.example\\@api-sg.aliexpress.com/sync",
        "https://évil.example/sync",
        "https://evil.example:0/sync",
        "https://evil.example:99999/sync",
        "https:///sync",
        "ftp://evil.example/sync",
        "javascript:alert(1)",
        "api-sg.aliexpress.com/sync",
    ],
)
def test_anything_that_could_add_a_csp_directive_or_source_is_refused(url: str) -> None:
    assert api_url_problem(url) is not None
