"""A ``Store`` in Redis, shared by every worker of every machine (``AFFSITE_REDIS_URL``).

Same contract as the disk stores:

* Values are JSON text (``b"J"`` + JSON), never pickle; anything else found under a key is a
  miss. Numbers, strings, lists, objects, booleans and null come back as they went in.
* ``expire`` is seconds from now, kept by Redis itself (``PX``); ``None`` keeps the key until
  it is deleted; zero or less means already expired.
* Keys are ``<prefix>:<store>:<key>``: one prefix per site (``AFFSITE_REDIS_PREFIX``), the
  store's name (``data`` or ``ctl``), then the caller's key, which already names the locale's
  namespace where the answer depends on it.
* ``atomic(operation)`` is all or nothing: the keys ``operation`` reads are watched, its writes
  are buffered and applied in one ``MULTI``/``EXEC``; when another client changed a watched key
  meanwhile, ``operation`` runs again from the start (at most ``MAX_ATTEMPTS`` times, then
  ``StoreError``). ``operation`` may therefore run more than once: it must only read and write
  through the ``Tx`` it is given.
* ``get``/``set``/``add``/``delete`` never raise. While Redis is unreachable (``RedisLink``)
  the data store answers from a bounded memory of what this process last read or wrote
  (entries carry their own freshness, which the catalog checks), and the control store carries
  on in this process's memory, as the disk's does while its disk fails, saying why it is not
  shared (``not_shared_reason``), so no gateway call is made; that memory is dropped when
  Redis answers again.
"""

from __future__ import annotations

import json
import logging
import math
import random
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

import redis
from redis.exceptions import RedisError, WatchError

from affsite.cache.health import CacheHealth
from affsite.cache.memory import MemoryStore
from affsite.cache.protocol import StoreError, T, Tx
from affsite.cache.redis_link import RedisLink, RedisUnavailable
from affsite.lru import LRU

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 64  # runs of one atomic operation before giving up on a busy key
REMEMBERED_VALUES = 1024  # data store: values kept per process for while Redis is down
SCAN_BATCH = 500
_PREFIX = b"J"
_DELETED = None  # a buffered delete in a transaction


def encode(value: Any) -> bytes:
    """``value`` as stored in Redis.

    :raise TypeError: ``value`` is not JSON-serialisable.
    :raise ValueError: ``value`` is circular.
    """
    return _PREFIX + json.dumps(value, separators=(",", ":")).encode("utf-8")


def decode(raw: Any) -> tuple[bool, Any]:
    """``(True, value)`` for what ``encode`` wrote, ``(False, None)`` for anything else."""
    if not isinstance(raw, bytes) or not raw.startswith(_PREFIX):
        return False, None
    try:
        return True, json.loads(raw[len(_PREFIX) :])
    except ValueError:
        return False, None


def milliseconds(expire: float) -> int:
    """An expiry in seconds as Redis's ``PX`` (whole milliseconds, at least 1)."""
    return max(1, math.ceil(expire * 1000))


def _pause(attempt: int) -> None:
    # Clients that collided on a key spread out before trying again, a little longer each time.
    if attempt >= 2:
        time.sleep(random.uniform(0, 0.001 * min(attempt, 20)))


class _Contended(Exception):
    """Every attempt of an atomic operation met a concurrent change."""


class _RedisTx:
    """One run of an atomic operation: reads watched and made at once, writes buffered."""

    def __init__(self, pipe: Any, full_key: Callable[[str], str]) -> None:
        self._pipe = pipe
        self._full_key = full_key
        self._watched: set[str] = set()
        # key -> (encoded value or _DELETED, expire); the order writes are applied in
        self.writes: dict[str, tuple[bytes | None, float | None]] = {}

    def _watch(self, name: str) -> None:
        if name not in self._watched:
            self._pipe.watch(name)
            self._watched.add(name)

    def _present(self, key: str) -> bool:
        if key in self.writes:
            return self.writes[key][0] is not _DELETED
        name = self._full_key(key)
        self._watch(name)
        found, _ = decode(self._pipe.get(name))
        return found

    def get(self, key: str, default: Any = None) -> Any:
        if key in self.writes:
            raw = self.writes[key][0]
        else:
            name = self._full_key(key)
            self._watch(name)
            raw = self._pipe.get(name)
        found, value = decode(raw)
        return value if found else default

    def set(self, key: str, value: Any, expire: float | None = None) -> None:
        encoded = encode(value)
        self.writes.pop(key, None)  # keep the order of the last write
        self.writes[key] = (_DELETED if expire is not None and expire <= 0 else encoded, expire)

    def add(self, key: str, value: Any, expire: float | None = None) -> bool:
        if self._present(key):
            return False
        self.set(key, value, expire)
        return True

    def delete(self, key: str) -> bool:
        present = self._present(key)
        self.writes.pop(key, None)
        self.writes[key] = (_DELETED, None)
        return present

    def apply(self, pipe: Any) -> None:
        """Queue the buffered writes (after ``MULTI``)."""
        for key, (raw, expire) in self.writes.items():
            name = self._full_key(key)
            if raw is _DELETED:
                pipe.delete(name)
            elif expire is None:
                pipe.set(name, raw)
            else:
                pipe.set(name, raw, px=milliseconds(expire))


class RedisStore:
    """One store (``data`` or ``ctl``) under a site's prefix in Redis (see the module doc).

    ``remember``: keep up to that many values this process read or wrote, answered by ``get``
    while Redis is unreachable (the data store); 0 for none. ``stand_in``: while Redis is
    unreachable, carry on in a ``MemoryStore`` of this process (the control store: fetch locks,
    statistics and allowances keep working there; the limits refuse every gateway call).
    """

    def __init__(
        self,
        name: str,
        link: RedisLink,
        *,
        prefix: str,
        health: CacheHealth | None = None,
        remember: int = 0,
        stand_in: bool = False,
    ) -> None:
        self.name = name
        self.link = link
        self.prefix = f"{prefix}:{name}:"
        self._health = health
        self._memory: LRU[str, bytes] | None = LRU(remember) if remember > 0 else None
        self._use_stand_in = stand_in
        self._stand_in: MemoryStore | None = None
        self._lock = threading.Lock()

    def full_key(self, key: str) -> str:
        """The Redis key that holds ``key``."""
        return self.prefix + key

    # failures -----------------------------------------------------------------------------

    def _failed(self, error: BaseException, *, write: bool) -> None:
        if isinstance(error, RedisUnavailable):
            return  # the link has recorded why, once
        if self._health is not None:
            self._health.record(self.name, _words(error), write=write)
        log.warning("Redis store %s: %s failed: %s", self.name, "write" if write else "read", error)

    def _standing_in(self, error: BaseException) -> MemoryStore | None:
        """This process's memory, when this store carries on there while Redis is away."""
        if not self._use_stand_in or not isinstance(error, RedisUnavailable):
            return None
        with self._lock:
            if self._stand_in is None:
                self._stand_in = MemoryStore(self.name)
            return self._stand_in

    def _back(self) -> None:
        # Redis answers again: what was kept meanwhile was this process's alone, and goes.
        if self._stand_in is not None and self.link.problem is None:
            self._stand_in = None

    def _remember(self, key: str, raw: bytes | None) -> None:
        memory = self._memory
        if memory is None:
            return
        if raw is not None:
            memory.put(key, raw)
        elif memory.get(key) is not None:
            memory.put(key, b"")  # gone from Redis: not answered from memory either

    # reading and writing ------------------------------------------------------------------

    def get(self, key: str, default: Any = None) -> Any:
        self._back()
        try:
            raw = self.link.run(lambda client: client.get(self.full_key(key)))
        except (RedisUnavailable, RedisError) as error:
            self._failed(error, write=False)
            if (stand_in := self._standing_in(error)) is not None:
                return stand_in.get(key, default)
            raw = self._memory.get(key) if self._memory is not None else None
        else:
            self._remember(key, raw if isinstance(raw, bytes) else None)
        found, value = decode(raw)
        return value if found else default

    def set(self, key: str, value: Any, expire: float | None = None) -> bool:
        try:
            raw = encode(value)
        except (TypeError, ValueError) as error:
            self._failed(error, write=True)
            return False
        if expire is not None and expire <= 0:
            self.delete(key)  # written and expired at once, like on disk
            return True
        px = milliseconds(expire) if expire is not None else None
        self._remember(key, raw)
        self._back()
        try:
            return bool(self.link.run(lambda client: client.set(self.full_key(key), raw, px=px)))
        except (RedisUnavailable, RedisError) as error:
            self._failed(error, write=True)
            stand_in = self._standing_in(error)
            return stand_in.set(key, value, expire) if stand_in is not None else False

    def add(self, key: str, value: Any, expire: float | None = None) -> bool:
        try:
            raw = encode(value)
        except (TypeError, ValueError) as error:
            self._failed(error, write=True)
            return False
        px = milliseconds(expire) if expire is not None and expire > 0 else None
        if expire is not None and expire <= 0:
            return self.get(key) is None  # added and expired at once, like on disk
        self._back()
        try:
            added = bool(
                self.link.run(lambda client: client.set(self.full_key(key), raw, px=px, nx=True))
            )
        except (RedisUnavailable, RedisError) as error:
            self._failed(error, write=True)
            stand_in = self._standing_in(error)
            return stand_in.add(key, value, expire) if stand_in is not None else False
        if added:
            self._remember(key, raw)
        return added

    def delete(self, key: str) -> bool:
        if self._memory is not None:
            self._memory.put(key, b"")  # not answered from memory any more
        self._back()
        try:
            return bool(self.link.run(lambda client: client.delete(self.full_key(key))))
        except (RedisUnavailable, RedisError) as error:
            self._failed(error, write=True)
            stand_in = self._standing_in(error)
            return stand_in.delete(key) if stand_in is not None else False

    def atomic(self, operation: Callable[[Tx], T]) -> T:
        """Run ``operation`` all or nothing, again from the start after a concurrent change
        (see the module doc).

        :raise StoreError: Redis is unreachable (and this store has no stand-in), or the keys
            stayed contended; nothing changed.
        """
        self._back()

        def attempts(client: redis.Redis) -> T:
            for attempt in range(MAX_ATTEMPTS):
                with client.pipeline(transaction=True) as pipe:
                    tx = _RedisTx(pipe, self.full_key)
                    try:
                        result = operation(tx)
                        if tx.writes:
                            pipe.multi()
                            tx.apply(pipe)
                            pipe.execute()
                            for key, (raw, _expire) in tx.writes.items():
                                self._remember(key, raw)  # deleted: None, forgotten too
                        return result
                    except WatchError:
                        _pause(attempt)
            raise _Contended

        try:
            return self.link.run(attempts)
        except _Contended:
            message = "the shared state stayed busy; try again"
            self._failed(StoreError(message), write=True)
            raise StoreError(message) from None
        except (RedisUnavailable, RedisError, TypeError, ValueError) as error:
            self._failed(error, write=True)
            if (stand_in := self._standing_in(error)) is not None:
                return stand_in.atomic(operation)
            words = str(error) if isinstance(error, RedisUnavailable) else _words(error)
            raise StoreError(words) from error

    # the whole store ----------------------------------------------------------------------

    def _keys(self, client: redis.Redis) -> Iterator[bytes]:
        # The prefix holds no glob characters (the configuration checks it).
        yield from client.scan_iter(match=self.prefix + "*", count=SCAN_BATCH)

    def clear(self) -> int:
        """Delete every key of this store; the number deleted."""
        if self._memory is not None:
            self._memory.clear()

        def remove(client: redis.Redis) -> int:
            removed = 0
            batch: list[bytes] = []
            for name in self._keys(client):
                batch.append(name)
                if len(batch) >= SCAN_BATCH:
                    removed += int(client.unlink(*batch))
                    batch = []
            if batch:
                removed += int(client.unlink(*batch))
            return removed

        return self._whole(remove, write=True)

    def count(self) -> int:
        return self._whole(lambda client: sum(1 for _ in self._keys(client)), write=False)

    def volume(self) -> int:
        """Bytes of the values this store holds (without Redis's own overhead)."""

        def measure(client: redis.Redis) -> int:
            total = 0
            batch: list[bytes] = []
            for name in self._keys(client):
                batch.append(name)
                if len(batch) >= SCAN_BATCH:
                    total += _lengths(client, batch)
                    batch = []
            return total + (_lengths(client, batch) if batch else 0)

        return self._whole(measure, write=False)

    def _whole(self, command: Callable[[redis.Redis], int], *, write: bool) -> int:
        try:
            return self.link.run(command)
        except (RedisUnavailable, RedisError) as error:
            self._failed(error, write=write)
            return 0

    def close(self) -> None:
        return None  # the link is closed once, by whoever opened it

    def not_shared_reason(self) -> str | None:
        """Why Redis cannot be counted on right now (tries it again when due)."""
        return self.link.check()


def _lengths(client: redis.Redis, names: list[bytes]) -> int:
    with client.pipeline(transaction=False) as pipe:
        for name in names:
            pipe.strlen(name)
        return sum(int(n) for n in pipe.execute())


def _words(error: BaseException) -> str:
    text = str(error).strip() or type(error).__name__
    return text[:200]
