"""A version number every process of every machine can move on, read at most once a second.

What one process remembers (decoded entries, drawn answers) stays valid while the version it
was made under is current. On one machine that version is a file (``catalog.entries``); with
several machines it is a counter in Redis, and asking Redis on every request would cost a
round trip, so each process looks again only after ``WINDOW`` seconds (monotonic clock,
injected): a change made on one machine is seen everywhere within that window, and at once by
the process that made it.

While Redis is unreachable the last version read stays current (nothing can change there
meanwhile that this process could read), unless this process's own change could not be
recorded: then ``current`` is None (nothing is answered from memory) until Redis is read again.
"""

from __future__ import annotations

import secrets
import time
from collections.abc import Callable

import redis
from redis.exceptions import RedisError

from affsite.cache.redis_link import RedisLink, RedisUnavailable

WINDOW = 1.0  # seconds a version read from Redis is trusted without asking again

Mark = tuple[int, int, int]


class SharedVersion:
    """A counter in Redis under ``key``, read through a short window (see the module doc).

    ``current()`` returns a mark shaped like the disk generation's (a tuple of three ints): the
    counter and a random number drawn when the counter was created, so that a Redis that
    restarted empty (counting from 0 again) never gives back a mark seen before.
    """

    def __init__(
        self,
        link: RedisLink,
        key: str,
        *,
        clock: Callable[[], float] = time.monotonic,
        window: float = WINDOW,
    ) -> None:
        self._link = link
        self.key = key
        self.epoch_key = f"{key}:epoch"
        self._clock = clock
        self.window = window
        self._seen: tuple[float, Mark | None] | None = None  # (when read, what was read)

    def current(self) -> Mark | None:
        now = self._clock()
        seen = self._seen
        if seen is not None and 0 <= now - seen[0] < self.window:
            return seen[1]
        try:
            mark = self._link.run(lambda client: self._read(client, bump=False))
        except (RedisUnavailable, RedisError):
            return seen[1] if seen is not None else None
        self._seen = (now, mark)
        return mark

    def bump(self) -> None:
        """Move the version on (after a write or clear made by this process)."""
        try:
            mark = self._link.run(lambda client: self._read(client, bump=True))
        except (RedisUnavailable, RedisError):
            # Nobody else can be told: at least this process stops answering from memory.
            self._seen = (self._clock(), None)
            return
        self._seen = (self._clock(), mark)

    def _read(self, client: redis.Redis, *, bump: bool) -> Mark | None:
        """One round trip: the epoch (drawn now if there is none), then the counter."""
        with client.pipeline(transaction=False) as pipe:
            pipe.set(self.epoch_key, secrets.randbelow(2**62), nx=True)
            if bump:
                pipe.incr(self.key)
            pipe.get(self.key)
            pipe.get(self.epoch_key)
            *_, counter, epoch = pipe.execute()
        return _mark(counter, epoch)


def _mark(counter: object, epoch: object) -> Mark | None:
    try:
        return (_number(counter), _number(epoch), 0)
    except ValueError:
        return None  # not ours: never answer from memory under it


def _number(raw: object) -> int:
    if raw is None:
        return 0
    return int(raw.decode() if isinstance(raw, bytes) else str(raw))
