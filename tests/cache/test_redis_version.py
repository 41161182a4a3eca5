"""The entries' version in Redis: moved on by one process, seen by the others within a second."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Protocol

import pytest

from affsite.cache import RedisLink, SharedVersion
from affsite.cache.redis_link import connect
from affsite.clock import FakeClock


class Server(Protocol):
    def start(self) -> None: ...
    def stop(self) -> None: ...


@pytest.fixture
def machines(
    redis_url: str, redis_prefix: str, clock: FakeClock
) -> Iterator[tuple[SharedVersion, SharedVersion]]:
    links = [RedisLink(connect(redis_url), clock=clock) for _ in range(2)]
    key = f"{redis_prefix}:entries-version"
    yield SharedVersion(links[0], key, clock=clock), SharedVersion(links[1], key, clock=clock)
    for link in links:
        link.close()


def test_a_change_is_seen_at_once_here_and_within_a_second_elsewhere(
    machines: tuple[SharedVersion, SharedVersion], clock: FakeClock
) -> None:
    here, there = machines
    before = there.current()
    assert before is not None and before == here.current()
    here.bump()
    assert here.current() != before
    assert there.current() == before  # read less than a second ago
    clock.advance(0.5)
    assert there.current() == before
    clock.advance(0.5)
    assert there.current() == here.current() != before


def test_while_redis_is_down_the_last_version_holds_unless_a_change_was_lost(
    redis_server: Server, machines: tuple[SharedVersion, SharedVersion], clock: FakeClock
) -> None:
    here, there = machines
    known = here.current()
    assert there.current() == known
    redis_server.stop()
    try:
        clock.advance(1.0)
        assert there.current() == known  # nothing can change in Redis meanwhile
        here.bump()  # a change this process made cannot be told to anyone
        assert here.current() is None  # so nothing is answered from memory here
        clock.advance(1.0)
        assert here.current() is None
    finally:
        redis_server.start()
    clock.advance(1.0)
    restarted = here.current()
    # Redis came back empty and counts from 0 again: the mark is still one never seen before.
    assert restarted is not None and restarted not in (known, None)
