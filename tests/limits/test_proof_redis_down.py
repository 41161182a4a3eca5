"""With the limits in Redis, a Redis that is down or frozen never lets a gateway call through,
and several machines hammering at once never exceed the daily quota (issue 13; the disk's
counterpart is ``test_proof_full_disk``).

Each "worker" or "machine" is its own set of stores with its own connections, as in separate
processes. Time for the limits is the injected FakeClock; it also paces the Redis retries.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Protocol

import pytest

from affsite.cache import CacheStores, open_stores
from affsite.clock import FakeClock
from affsite.limits import (
    AttemptPolicy,
    CallRefused,
    DailyQuota,
    Gate,
    LimitsUnavailable,
    QuotaExhausted,
)
from affsite.settings import Settings

UNUSED = Path("unused")  # the cache folder: with Redis there is none
VIEW = AttemptPolicy(uses_reserve=False, max_rate_wait=0.0)
QUOTA = 20
SETTINGS = Settings(daily_quota=QUOTA, admin_reserve=0, rate_limit=0)


class Server(Protocol):
    """The root conftest's ``RedisServer``, as these tests use it."""

    def start(self) -> None: ...
    def stop(self) -> None: ...
    def pause(self) -> None: ...
    def resume(self) -> None: ...


class Events:
    def error(self, method: str, error: object, at: float) -> None:
        return None


def attempts(stores: CacheStores, clock: FakeClock, tries: int) -> tuple[int, set[type]]:
    gate = Gate(stores.ctl, clock, clock.sleep, events=Events())
    passed, refused = 0, set()
    for _ in range(tries):
        try:
            gate.before_attempt(SETTINGS, VIEW, "worker")
        except CallRefused as refusal:
            refused.add(type(refusal))
        else:
            passed += 1
    return passed, refused


@pytest.fixture
def workers(redis_url: str, redis_prefix: str, clock: FakeClock) -> Iterator[list[CacheStores]]:
    opened: list[CacheStores] = []

    def open_worker() -> CacheStores:
        stores = open_stores(UNUSED, redis_url=redis_url, redis_prefix=redis_prefix, clock=clock)
        opened.append(stores)
        return stores

    yield [open_worker(), open_worker()]
    for stores in opened:
        stores.close()


def test_redis_down_at_start_means_no_calls_until_it_answers(
    redis_server: Server, redis_url: str, redis_prefix: str, clock: FakeClock
) -> None:
    redis_server.stop()
    try:
        workers = [
            open_stores(UNUSED, redis_url=redis_url, redis_prefix=redis_prefix, clock=clock)
            for _ in range(2)
        ]
        for stores in workers:
            assert attempts(stores, clock, 30) == (0, {LimitsUnavailable})
            assert stores.health.limits_cause == "Redis refused the connection"
            assert "127.0.0.1" in (stores.check_limits() or "")
    finally:
        redis_server.start()

    clock.advance(1.0)  # the links try Redis again
    passed = sum(attempts(stores, clock, 15)[0] for stores in workers)
    assert passed == QUOTA
    for stores in workers:
        assert stores.health.limits_ok
        stores.close()


def test_a_frozen_redis_never_lets_more_calls_through_than_the_quota(
    redis_server: Server, workers: list[CacheStores], clock: FakeClock
) -> None:
    passed = sum(attempts(stores, clock, 3)[0] for stores in workers)
    assert passed == 6
    redis_server.pause()
    try:
        for _ in range(3):
            for stores in workers:
                assert attempts(stores, clock, 10) == (0, {LimitsUnavailable})
                assert stores.health.limits_cause == "Redis answers too slowly"
            clock.advance(1.0)
    finally:
        redis_server.resume()
    clock.advance(1.0)
    for stores in workers:
        passed += attempts(stores, clock, 10)[0]
    assert passed == QUOTA
    assert DailyQuota(workers[0].ctl, clock).used() == QUOTA


def test_two_machines_hammering_at_once_spend_the_quota_exactly(
    workers: list[CacheStores], clock: FakeClock
) -> None:
    # Two "machines", four threads each, every thread with the machine's own stores: the
    # quota counter is contended on every attempt and must still count each call once.
    start = threading.Barrier(8)
    results: list[tuple[int, set[type]]] = []
    lock = threading.Lock()

    def hammer(stores: CacheStores) -> None:
        start.wait(timeout=30)
        outcome = attempts(stores, clock, 10)
        with lock:
            results.append(outcome)

    threads = [
        threading.Thread(target=hammer, args=(stores,)) for stores in workers for _ in range(4)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert len(results) == 8
    assert sum(passed for passed, _ in results) == QUOTA
    # Refused only because the quota was spent, never because the counter stayed busy.
    assert set().union(*(refused for _, refused in results)) == {QuotaExhausted}
    assert DailyQuota(workers[1].ctl, clock).used() == QUOTA
