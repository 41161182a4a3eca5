"""Single-flight fetch locks, shared by every process and taken over when their holder died."""

from __future__ import annotations

from affsite.cache import CacheStores
from affsite.clock import FakeClock
from affsite.limits import FetchLocks


def test_fetch_locks_are_taken_together_and_taken_over_after_expiry(
    stores: CacheStores, clock: FakeClock
) -> None:
    locks = FetchLocks(stores.ctl, clock, ttl=30)
    assert locks.acquire(["a", "b"], "w1") == ["a", "b"]
    assert locks.acquire(["b", "c"], "w2") == ["c"]
    assert locks.acquire(["d", "e", "f"], "w2", limit=2) == ["d", "e"]
    locks.release(["a"], "w2")  # not the owner: nothing happens
    assert locks.held("a")
    locks.release(["a"], "w1")
    assert not locks.held("a")
    clock.advance(31)  # w1 died holding "b"
    assert locks.acquire(["b"], "w3") == ["b"]
