"""The connection to Redis: which URLs are accepted, how failures are worded, and that a Redis
that is down or frozen costs a page nothing until a retry is due."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any, Protocol

import pytest
import redis

from affsite.cache import CacheHealth, RedisLink, RedisUnavailable, StoreMode, check_url
from affsite.cache.opening import open_redis_stores
from affsite.cache.redis_link import COMMAND_TIMEOUT, connect, describe_failure
from affsite.clock import FakeClock


class Server(Protocol):
    """The root conftest's ``RedisServer``, as these tests use it."""

    def start(self) -> None: ...
    def stop(self) -> None: ...
    def pause(self) -> None: ...
    def resume(self) -> None: ...


@pytest.mark.parametrize(
    "url",
    ["redis://127.0.0.1:6379/0", "rediss://:pw@redis.internal:6380/2", "unix:///run/redis.sock"],
)
def test_redis_urls_are_accepted(url: str) -> None:
    assert check_url(f" {url} ") == url


@pytest.mark.parametrize(
    "url", ["http://127.0.0.1:6379", "127.0.0.1:6379", "redis://", "memcached://:s3cret@h:1"]
)
def test_other_urls_are_refused_saying_what_to_write_without_echoing_them(url: str) -> None:
    with pytest.raises(ValueError) as refused:
        check_url(url)
    assert "redis://127.0.0.1:6379/0" in str(refused.value)
    assert "s3cret" not in str(refused.value)


@pytest.mark.parametrize(
    ("error", "words"),
    [
        (redis.ConnectionError("Error 111 connecting to h:1. Connection refused."), "refused"),
        (redis.TimeoutError("Timeout reading from socket"), "answers too slowly"),
        (redis.AuthenticationError("invalid password"), "user name or password"),
        (redis.exceptions.ReadOnlyError("READONLY"), "read-only replica"),
        (redis.exceptions.BusyLoadingError("LOADING"), "still loading"),
        (
            redis.ConnectionError("Error -2 connecting to nohost:1. Name or service not known."),
            "host name",
        ),
    ],
)
def test_failures_in_plain_words(error: BaseException, words: str) -> None:
    assert words in describe_failure(error)


def test_the_address_shown_never_holds_the_password() -> None:
    link = RedisLink(connect("redis://:hunter2@10.0.0.5:6380/3"))
    assert link.address == "10.0.0.5:6380 (database 3)"
    link.close()


@pytest.fixture
def counted(redis_url: str, clock: FakeClock) -> Iterator[tuple[RedisLink, list[str], CacheHealth]]:
    health = CacheHealth(backend=StoreMode.REDIS)
    link = RedisLink(connect(redis_url), health=health, clock=clock)
    sent: list[str] = []
    original: Callable[..., Any] = link.client.execute_command

    def execute(*args: Any, **kwargs: Any) -> Any:
        sent.append(str(args[0]))
        return original(*args, **kwargs)

    link.client.execute_command = execute  # type: ignore[method-assign]
    yield link, sent, health
    link.close()


def test_while_redis_is_down_commands_fail_at_once_until_a_retry_is_due(
    redis_server: Server, counted: tuple[RedisLink, list[str], CacheHealth], clock: FakeClock
) -> None:
    link, sent, health = counted
    assert link.run(lambda client: client.ping()) is True
    redis_server.stop()
    try:
        with pytest.raises(RedisUnavailable, match="refused the connection"):
            link.run(lambda client: client.get("k"))
        tried = len(sent)
        for _ in range(20):
            with pytest.raises(RedisUnavailable):
                link.run(lambda client: client.get("k"))
        assert len(sent) == tried, "no command reaches the network before the retry is due"
        assert not health.limits_ok and "AFFSITE_REDIS_URL" in (health.limits_problem or "")
        clock.advance(1.0)
        assert link.check() is not None  # tried once: still down
        assert len(sent) == tried + 1
    finally:
        redis_server.start()
    assert link.check() is not None  # the next retry is a second away
    clock.advance(1.0)
    assert link.check() is None and health.limits_ok


def test_a_frozen_redis_counts_as_unreachable_after_the_short_deadline(
    redis_server: Server, counted: tuple[RedisLink, list[str], CacheHealth], clock: FakeClock
) -> None:
    link, _, health = counted
    link.run(lambda client: client.ping())
    redis_server.pause()
    try:
        with pytest.raises(RedisUnavailable, match="answers too slowly"):
            link.run(lambda client: client.get("k"))
        assert health.limits_cause == "Redis answers too slowly"
    finally:
        redis_server.resume()
    clock.advance(1.0)
    assert link.check() is None
    assert COMMAND_TIMEOUT <= 1.0  # a page never waits longer than this on Redis


def test_opening_says_where_the_state_is_kept(
    redis_url: str, redis_prefix: str, clock: FakeClock
) -> None:
    stores = open_redis_stores(redis_url, prefix=redis_prefix, clock=clock)
    health = stores.health
    assert health.backend == StoreMode.REDIS
    assert health.modes == {"data": StoreMode.REDIS, "ctl": StoreMode.REDIS}
    assert not health.degraded
    kept_in = health.describe_backend()
    assert kept_in.startswith("Redis, shared by every machine (127.0.0.1:")
    assert f"keys under {redis_prefix}:" in kept_in
    stores.close()


def test_opening_warns_when_redis_may_evict_the_quota_count(
    redis_url: str, redis_prefix: str, clock: FakeClock
) -> None:
    client = redis.Redis.from_url(redis_url)
    client.config_set("maxmemory", "512mb")
    client.config_set("maxmemory-policy", "allkeys-lru")
    try:
        stores = open_redis_stores(redis_url, prefix=redis_prefix, clock=clock)
    finally:
        client.config_set("maxmemory-policy", "noeviction")
        client.config_set("maxmemory", "0")
        client.close()
    assert stores.health.degraded
    assert stores.health.summary() == (
        "Cache working, but Redis evicts keys when its memory is full (maxmemory-policy "
        "allkeys-lru), the daily quota count included: set maxmemory-policy noeviction."
    )
    stores.close()
