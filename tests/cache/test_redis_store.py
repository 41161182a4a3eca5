"""The store contract on both backends (disk and Redis), then what only the Redis store does:
keys under the site's prefix, JSON only, and answers while Redis is away.
"""

from __future__ import annotations

import pickle
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, Protocol

import pytest
import redis

from affsite.cache import CacheStores, StoreError, Tx, open_stores
from affsite.cache.redis_store import MAX_ATTEMPTS
from affsite.clock import FakeClock

OpenStores = Callable[..., CacheStores]


class Server(Protocol):
    """The root conftest's ``RedisServer``, as these tests use it."""

    def start(self) -> None: ...
    def stop(self) -> None: ...


@pytest.fixture
def stores(
    cache_dir: Path, clock: FakeClock, open_backend_stores: OpenStores
) -> Iterator[CacheStores]:
    opened: CacheStores = open_backend_stores(cache_dir, clock=clock)
    yield opened
    opened.close()


@pytest.fixture
def raw(redis_url: str) -> Iterator[redis.Redis]:
    client = redis.Redis.from_url(redis_url)
    yield client
    client.close()


# --- the contract, on both backends ------------------------------------------------------------

both = pytest.mark.parametrize("store_backend", ["disk", "redis"], indirect=True)

VALUES: list[Any] = [7, 2.5, "text", "", [1, "a", None], {"k": [1.5, True]}, True, None, 10**15]


@both
@pytest.mark.parametrize("value", VALUES, ids=repr)
def test_values_come_back_as_they_went_in(stores: CacheStores, value: Any) -> None:
    for store in (stores.data, stores.ctl):
        assert store.set("k", value, expire=60)
        back = store.get("k", "absent")
        assert back == value and type(back) is type(value)
        assert store.atomic(lambda tx: tx.get("k", "absent")) == value


@both
def test_add_delete_and_expiry_already_past(stores: CacheStores) -> None:
    for store in (stores.data, stores.ctl):
        assert store.add("lock", "me", expire=30)
        assert not store.add("lock", "you", expire=30)
        assert store.get("lock") == "me"
        assert store.delete("lock") and not store.delete("lock")
        assert store.get("lock", "gone") == "gone"
        store.set("brief", 1, expire=0)  # expired as soon as written
        assert store.get("brief") is None


@both
def test_an_atomic_operation_reads_its_own_writes(stores: CacheStores) -> None:
    def operation(tx: Tx) -> tuple[Any, ...]:
        tx.set("a", 1)
        first = tx.get("a")
        added = tx.add("a", 2)
        removed = tx.delete("a")
        return first, added, removed, tx.get("a", "none"), tx.add("a", 3, expire=60)

    assert stores.ctl.atomic(operation) == (1, False, True, "none", True)
    assert stores.ctl.get("a") == 3


@both
def test_an_atomic_operation_that_fails_changes_nothing(stores: CacheStores) -> None:
    stores.ctl.set("count", 1)

    def half_done(tx: Tx) -> None:
        tx.set("count", tx.get("count") + 1)
        tx.set("other", "x")
        raise RuntimeError("the caller's own error")

    with pytest.raises(RuntimeError):
        stores.ctl.atomic(half_done)
    assert stores.ctl.get("count") == 1 and stores.ctl.get("other") is None


@both
def test_concurrent_increments_from_separate_stores_are_all_counted(
    stores: CacheStores, cache_dir: Path, clock: FakeClock, open_backend_stores: OpenStores
) -> None:
    # Each thread opens its own stores (own connections), as separate worker processes do.
    others = [open_backend_stores(cache_dir, clock=clock) for _ in range(4)]
    start = threading.Barrier(len(others))

    def increment(store: CacheStores) -> None:
        start.wait(timeout=30)
        for _ in range(25):
            store.ctl.atomic(lambda tx: tx.set("n", tx.get("n", 0) + 1))

    threads = [threading.Thread(target=increment, args=(other,)) for other in others]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert stores.ctl.get("n") == 100
    for other in others:
        other.close()


@both
def test_clear_count_and_volume_cover_one_store_only(stores: CacheStores) -> None:
    for n in range(5):
        stores.data.set(f"p:{n}", {"title": "x" * 100})
    stores.ctl.set("quota:today", 3)
    assert stores.data.count() == 5
    assert stores.data.volume() >= 500
    assert stores.data.clear() == 5
    assert stores.data.count() == 0
    assert stores.ctl.get("quota:today") == 3


# --- Redis only -------------------------------------------------------------------------------


def open_redis(url: str, prefix: str, clock: FakeClock) -> CacheStores:
    return open_stores(Path("unused"), redis_url=url, redis_prefix=prefix, clock=clock)


def test_keys_live_under_the_sites_prefix_and_the_stores_name(
    redis_url: str, redis_prefix: str, raw: redis.Redis, clock: FakeClock
) -> None:
    site = open_redis(redis_url, redis_prefix, clock)
    other = open_redis(redis_url, redis_prefix + "-other", clock)
    site.data.set("p1:ns:1", {"title": "x"}, expire=120)
    site.ctl.set("quota:2024-06-01", 3)
    assert raw.get(f"{redis_prefix}:data:p1:ns:1") == b'J{"title":"x"}'
    assert raw.get(f"{redis_prefix}:ctl:quota:2024-06-01") == b"J3"
    assert 0 < raw.pttl(f"{redis_prefix}:data:p1:ns:1") <= 120_000
    assert raw.pttl(f"{redis_prefix}:ctl:quota:2024-06-01") == -1  # no expiry asked
    assert other.data.get("p1:ns:1") is None and other.data.count() == 0
    other.data.clear()
    assert site.data.count() == 1
    site.close()
    other.close()


def test_a_pickle_planted_in_redis_is_never_unpickled(
    redis_url: str, redis_prefix: str, raw: redis.Redis, clock: FakeClock
) -> None:
    class Boom:
        def __reduce__(self) -> tuple[Any, ...]:
            return (print, ("unpickled!",))

    stores = open_redis(redis_url, redis_prefix, clock)
    raw.set(f"{redis_prefix}:data:planted", pickle.dumps(Boom()))
    raw.set(f"{redis_prefix}:ctl:planted", b'{"not": "ours"}')
    assert stores.data.get("planted", "miss") == "miss"
    assert stores.ctl.atomic(lambda tx: tx.get("planted", "miss")) == "miss"
    assert not stores.data.add("planted", 1)  # the key is taken, whatever it holds
    stores.close()


def test_a_value_that_is_not_json_is_refused_not_stored(
    redis_url: str, redis_prefix: str, clock: FakeClock
) -> None:
    stores = open_redis(redis_url, redis_prefix, clock)
    assert not stores.data.set("k", {1, 2})
    with pytest.raises(StoreError):
        stores.ctl.atomic(lambda tx: tx.set("k", object()))
    assert stores.ctl.get("k") is None
    assert stores.health.write_errors == 2
    stores.close()


def test_an_operation_that_stays_contended_gives_up_with_a_store_error(
    redis_url: str, redis_prefix: str, raw: redis.Redis, clock: FakeClock
) -> None:
    stores = open_redis(redis_url, redis_prefix, clock)
    runs = 0

    def always_raced(tx: Tx) -> None:
        nonlocal runs
        runs += 1
        value = tx.get("n", 0)
        raw.set(f"{redis_prefix}:ctl:n", b"J99")  # another client writes in between
        tx.set("n", value + 1)

    with pytest.raises(StoreError, match="busy"):
        stores.ctl.atomic(always_raced)
    assert runs == MAX_ATTEMPTS
    assert stores.ctl.get("n") == 99  # what the other client wrote, untouched
    assert stores.health.limits_ok  # busy is not down
    stores.close()


def test_while_redis_is_down_reads_answer_from_memory_and_the_limits_say_why(
    redis_server: Server, redis_url: str, redis_prefix: str, clock: FakeClock
) -> None:
    stores = open_redis(redis_url, redis_prefix, clock)
    stores.data.set("p1:ns:1", {"title": "kept"}, expire=600)
    stores.data.set("p1:ns:2", {"title": "read"}, expire=600)
    assert stores.data.get("p1:ns:2") == {"title": "read"}
    stores.data.atomic(lambda tx: tx.set("p1:ns:4", {"title": "in one call"}, expire=600))
    assert stores.ctl.not_shared_reason() is None
    redis_server.stop()
    try:
        assert stores.data.get("p1:ns:1") == {"title": "kept"}  # from this process's memory
        assert stores.data.get("p1:ns:9", "miss") == "miss"
        assert stores.data.get("p1:ns:4") == {"title": "in one call"}  # a batch's entries too
        assert not stores.data.set("p1:ns:3", {"title": "new"})
        reason = stores.ctl.not_shared_reason()
        assert reason is not None and "refused the connection" in reason
        # The control store carries on in this process's memory, saying it is not shared.
        assert stores.ctl.get("quota:today", "unknown") == "unknown"
        assert stores.ctl.atomic(lambda tx: tx.add("lock:1", "me")) is True
        assert stores.ctl.get("lock:1") == "me" and not stores.ctl.add("lock:1", "you")
        assert stores.health.limits_cause == "Redis refused the connection"
        assert "Gateway calls are stopped" in stores.health.summary()
    finally:
        redis_server.start()
    assert stores.ctl.not_shared_reason() is not None  # not retried before the interval
    clock.advance(1.0)
    assert stores.ctl.not_shared_reason() is None
    assert stores.health.limits_ok and stores.health.summary() == "Cache working normally."
    assert stores.ctl.get("lock:1") is None  # what was kept meanwhile was this process's only
    stores.ctl.set("quota:today", 1)
    assert stores.ctl.get("quota:today") == 1
    stores.close()
