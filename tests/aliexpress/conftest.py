from __future__ import annotations

import random
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest

from affsite.aliexpress.client import AliExpressClient
from affsite.clock import FakeClock

from .fakes import APP_KEY, SECRET


class SleepLog:
    """A sleeper that records each wait and moves the fake clock instead of waiting."""

    def __init__(self, clock: FakeClock) -> None:
        self.clock = clock
        self.waits: list[float] = []

    def __call__(self, seconds: float) -> None:
        self.waits.append(seconds)
        self.clock.sleep(seconds)


@pytest.fixture
def sleeps(clock: FakeClock) -> SleepLog:
    return SleepLog(clock)


MakeClient = Callable[..., AliExpressClient]


@pytest.fixture
def make_client(clock: FakeClock, sleeps: SleepLog) -> Iterator[MakeClient]:
    """Build a client on a MockTransport around ``handler`` with fake time and seeded jitter."""
    made: list[AliExpressClient] = []

    def make(
        handler: Callable[[httpx.Request], httpx.Response], **options: Any
    ) -> AliExpressClient:
        settings: dict[str, Any] = {
            "app_key": APP_KEY,
            "app_secret": SECRET,
            "transport": httpx.MockTransport(handler),
            "clock": clock,
            "sleep": sleeps,
            "rng": random.Random(7),
            "tracking_id": "default",
            "country": "US",
            "currency": "USD",
            "language": "EN",
        }
        settings.update(options)
        client = AliExpressClient(**settings)
        made.append(client)
        return client

    yield make
    for client in made:
        client.close()
