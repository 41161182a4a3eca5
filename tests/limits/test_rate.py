"""The speed limiter: a token bucket shared by every process, never refilled by a restart."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from affsite.cache import (
    CacheHealth,
    CacheStores,
    DiskStore,
    StoreSite,
    open_control_cache,
    open_stores,
)
from affsite.clock import FakeClock
from affsite.limits import LimitsUnavailable, RateLimited, RateLimiter


def test_speed_limiter_spaces_calls_and_refuses_long_waits(
    stores: CacheStores, clock: FakeClock
) -> None:
    start = clock()
    limiter = RateLimiter(stores.ctl, clock, clock.sleep)
    waits = [limiter.acquire(2.0, max_wait=10) for _ in range(5)]
    # A burst of 2, then one slot every 0.5 s.
    assert waits[:2] == [0.0, 0.0]
    assert clock() - start == pytest.approx(1.5)
    other = RateLimiter(stores.ctl, clock, lambda s: None)  # another process, same bucket
    other.acquire(2.0, max_wait=10)  # reserves the next slot without waiting here
    with pytest.raises(RateLimited):
        other.acquire(2.0, max_wait=0.1)


def test_a_new_process_does_not_refill_the_bucket(tmp_path: Path, clock: FakeClock) -> None:
    first = open_stores(tmp_path / "cache")
    RateLimiter(first.ctl, clock, clock.sleep).acquire(1.0, max_wait=0)
    second = open_stores(tmp_path / "cache")  # a worker restart
    with pytest.raises(RateLimited):
        RateLimiter(second.ctl, clock, clock.sleep).acquire(1.0, max_wait=0)
    first.close()
    second.close()


def test_a_bucket_that_cannot_be_written_refuses_instead_of_waving_through(
    tmp_path: Path, clock: FakeClock
) -> None:
    store = DiskStore(
        StoreSite(
            name="ctl", path=tmp_path / "ctl", opener=open_control_cache, health=CacheHealth()
        )
    )

    def full(*args: object, **kwargs: object) -> object:
        raise sqlite3.OperationalError("database or disk is full")

    store._cache.transact = full
    with pytest.raises(LimitsUnavailable):
        RateLimiter(store, clock, clock.sleep).acquire(1.0, max_wait=10)
    store.close()


def test_no_limit_configured_means_no_wait(stores: CacheStores, clock: FakeClock) -> None:
    limiter = RateLimiter(stores.ctl, clock, clock.sleep)
    assert [limiter.acquire(0, max_wait=0) for _ in range(3)] == [0.0, 0.0, 0.0]
