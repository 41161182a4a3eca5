"""The shared journal (what each machine appended, read by the others from a position on),
in memory and in a Redis stream: the same contract for both."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from affsite.cache import START, Journal, MemoryJournal, RedisJournal, RedisLink, position_key
from affsite.cache.redis_link import connect
from affsite.clock import FakeClock

HOUR = 3600.0


@pytest.fixture(params=["memory", "redis"])
def journals(request: pytest.FixtureRequest, clock: FakeClock) -> Iterator[tuple[Journal, ...]]:
    """Two handles on one journal, as two machines hold them."""
    if request.param == "memory":
        shared = MemoryJournal(clock=clock)
        yield shared, shared
        return
    url = request.getfixturevalue("redis_url")
    prefix = request.getfixturevalue("redis_prefix")
    links = [RedisLink(connect(url), clock=clock) for _ in range(2)]
    yield tuple(RedisJournal(link, f"{prefix}:journal") for link in links)
    for link in links:
        link.close()


def test_records_come_back_in_order_after_a_position_on_every_machine(
    journals: tuple[Journal, Journal],
) -> None:
    here, there = journals
    assert there.last_position() == START and there.read_after(START, 10) == []
    for n in range(5):
        assert here.append({"n": n, "ids": {"1005": [1.5, 2]}})
    everything = there.read_after(START, 10)
    assert [record["n"] for _, record in everything] == [0, 1, 2, 3, 4]
    assert everything[0][1]["ids"] == {"1005": [1.5, 2]}
    positions = [position for position, _ in everything]
    assert sorted(positions, key=position_key) == positions
    assert there.last_position() == positions[-1]

    later: list[dict[str, Any]] = [record for _, record in there.read_after(positions[1], 2)]
    assert [record["n"] for record in later] == [2, 3], "after the position, at most the limit"
    assert there.read_after(positions[-1], 10) == []


def test_records_older_than_the_journal_keeps_go(clock: FakeClock) -> None:
    journal = MemoryJournal(clock=clock)
    journal.append({"n": "old"})
    clock.advance(2 * HOUR)
    journal.append({"n": "new"})
    assert [record["n"] for _, record in journal.read_after(START, 10)] == ["new"]


def test_redis_keeps_an_hour_of_records_by_its_own_clock(
    redis_url: str, redis_prefix: str, clock: FakeClock
) -> None:
    import redis

    key = f"{redis_prefix}:journal"
    raw = redis.Redis.from_url(redis_url)
    raw.xadd(key, {"r": '{"n": "old"}'}, id="1-0")  # appended long ago, by Redis's clock
    link = RedisLink(connect(redis_url), clock=clock)
    journal = RedisJournal(link, key)
    assert journal.append({"n": "new"})
    assert [record["n"] for _, record in journal.read_after(START, 10)] == ["new"]
    link.close()
    raw.close()


def test_while_redis_is_down_nothing_is_appended_or_read(
    redis_url: str, redis_prefix: str, redis_server: Any, clock: FakeClock
) -> None:
    link = RedisLink(connect(redis_url), clock=clock)
    journal = RedisJournal(link, f"{redis_prefix}:journal")
    assert journal.append({"n": 1})
    redis_server.stop()
    try:
        assert not journal.append({"n": 2})
        assert journal.read_after(START, 10) == [] and journal.last_position() is None
    finally:
        redis_server.start()
    clock.advance(2)  # the link tries Redis again; this one came back empty
    assert journal.append({"n": 3})
    assert [record for _, record in journal.read_after(START, 10)] == [{"n": 3}]
    link.close()
