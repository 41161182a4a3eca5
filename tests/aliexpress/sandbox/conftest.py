from __future__ import annotations

from collections.abc import Callable, Iterator

import httpx
import pytest

from affsite.aliexpress.sandbox import Sandbox
from affsite.clock import FakeClock

from .helpers import signed

Call = Callable[..., httpx.Response]


@pytest.fixture
def sandbox(clock: FakeClock) -> Sandbox:
    return Sandbox(clock=clock, sleep=clock.sleep)


@pytest.fixture
def http(sandbox: Sandbox) -> Iterator[httpx.Client]:
    with httpx.Client(
        transport=sandbox.transport(), base_url="https://api-sg.aliexpress.com"
    ) as client:
        yield client


@pytest.fixture
def call(http: httpx.Client, clock: FakeClock) -> Call:
    """POST a correctly signed call (timestamped by the fake clock) to the sandbox."""

    def _call(method: str, sign_method: str = "sha256", **params: str) -> httpx.Response:
        form = signed(method, timestamp_ms=int(clock() * 1000), sign_method=sign_method, **params)
        return http.post("/sync", data=form)

    return _call
