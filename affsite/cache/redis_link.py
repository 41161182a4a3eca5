"""One process's connection to Redis, and whether Redis can be counted on right now.

Both Redis stores of a process (``redis_store``) talk through one ``RedisLink``. Commands get a
short deadline (``COMMAND_TIMEOUT``): a Redis that is slow counts as unreachable, because a page
must not wait on it. While Redis is unreachable the link says so in plain words (``problem``,
also recorded in ``CacheHealth``, which stops gateway calls) and refuses commands at once
instead of waiting for each one to time out; every ``RETRY_INTERVAL`` (monotonic clock,
injected) one thread tries again, and the first command that works clears the problem, so
everything resumes without a restart.

Never named anywhere: the URL's password.
"""

from __future__ import annotations

import contextlib
import logging
import threading
import time
from collections.abc import Callable
from typing import Any, TypeVar
from urllib.parse import urlsplit

import redis
from redis.backoff import NoBackoff
from redis.exceptions import (
    AuthenticationError,
    BusyLoadingError,
    MaxConnectionsError,
    ReadOnlyError,
    RedisError,
)
from redis.retry import Retry

from affsite.cache.health import CacheHealth

log = logging.getLogger(__name__)

R = TypeVar("R")

URL_SCHEMES = ("redis", "rediss", "unix")
CONNECT_TIMEOUT = 0.5  # seconds to open a connection
COMMAND_TIMEOUT = 0.5  # seconds one command may take before Redis counts as too slow
RETRY_INTERVAL = 1.0  # while unreachable: seconds between attempts to reach it again
MAX_CONNECTIONS = 64  # per process; a command finding none free fails alone (Redis is not down)


class RedisUnavailable(Exception):
    """Redis cannot be counted on right now; the message says why in plain words."""


def check_url(url: str) -> str:
    """``url`` when it is a Redis URL this app can use.

    >>> check_url("redis://127.0.0.1:6379/0")
    'redis://127.0.0.1:6379/0'

    :raise ValueError: not a ``redis://``, ``rediss://`` or ``unix://`` URL (the message says
        what to write instead, without repeating a password).
    """
    parts = urlsplit(url.strip())
    if parts.scheme not in URL_SCHEMES or not (parts.hostname or parts.path):
        raise ValueError(
            "AFFSITE_REDIS_URL must be a Redis address such as redis://127.0.0.1:6379/0, "
            "rediss://:PASSWORD@redis.internal:6380/0 (TLS) or unix:///run/redis/redis.sock"
        )
    return url.strip()


def address_of(client: redis.Redis) -> str:
    """Where ``client`` connects, for people: ``127.0.0.1:6379 (database 0)`` (no password)."""
    kwargs = client.connection_pool.connection_kwargs
    database = kwargs.get("db", 0)
    if kwargs.get("path"):
        return f"{kwargs['path']} (database {database})"
    return f"{kwargs.get('host', 'localhost')}:{kwargs.get('port', 6379)} (database {database})"


def describe_failure(error: BaseException) -> str:
    """Plain words for why Redis could not be used, to follow "Redis" (no address, no
    password).

    >>> "Redis " + describe_failure(redis.TimeoutError("Timeout reading from socket"))
    'Redis answers too slowly'
    """
    if isinstance(error, AuthenticationError):
        return "refused the user name or password in AFFSITE_REDIS_URL"
    if isinstance(error, redis.TimeoutError):
        return "answers too slowly"
    if isinstance(error, BusyLoadingError):
        return "is still loading its data"
    if isinstance(error, ReadOnlyError):
        return "is a read-only replica"
    text = str(error).lower()
    if "refused" in text:
        return "refused the connection"
    if "not known" in text or "nodename" in text:
        return "has a host name that is not known"
    return "cannot be reached"


def unavailable(error: BaseException) -> bool:
    """True for failures that mean Redis cannot be used at all (not one refused command, nor
    this process running out of connections for a moment)."""
    if isinstance(error, MaxConnectionsError):
        return False
    return isinstance(error, redis.ConnectionError | redis.TimeoutError | ReadOnlyError)


def connect(url: str, *, max_connections: int = MAX_CONNECTIONS) -> redis.Redis:
    """A client for ``url`` with short deadlines and no retries of its own (the link decides
    when to try again). Opens no connection yet.
    """
    return redis.Redis.from_url(
        check_url(url),
        socket_connect_timeout=CONNECT_TIMEOUT,
        socket_timeout=COMMAND_TIMEOUT,
        retry=Retry(NoBackoff(), 0),
        max_connections=max_connections,
        health_check_interval=30,
    )


class RedisLink:
    """The connection the Redis stores of one process share (see the module doc)."""

    def __init__(
        self,
        client: redis.Redis,
        *,
        health: CacheHealth | None = None,
        clock: Callable[[], float] = time.monotonic,
        retry_interval: float = RETRY_INTERVAL,
    ) -> None:
        self.client = client
        self.address = address_of(client)
        self._health = health
        self._clock = clock
        self.retry_interval = retry_interval
        self._lock = threading.Lock()
        self._probe = threading.Lock()
        self._problem: str | None = None
        self._failed_at = float("-inf")
        self._answered_at = float("-inf")  # when a command last worked

    @property
    def problem(self) -> str | None:
        """Why Redis cannot be counted on (a sentence naming its address), or None."""
        return self._problem

    def run(self, command: Callable[[redis.Redis], R]) -> R:
        """``command(client)``, or ``RedisUnavailable`` at once while Redis is known to be
        unreachable and no retry is due (one thread at a time retries).

        :raise RedisUnavailable: Redis is unreachable, slow or refuses writes.
        :raise RedisError: Redis answered with an error about this command only.
        """
        probing = False
        if self._problem is not None:
            due = self._clock() - self._failed_at >= self.retry_interval
            if not due or not self._probe.acquire(blocking=False):
                raise RedisUnavailable(self._problem)
            probing = True
        try:
            result = command(self.client)
        except RedisError as error:
            if unavailable(error):
                self._failed(error)
                raise RedisUnavailable(self._problem or describe_failure(error)) from error
            if probing:
                self._recovered()  # it answered: reachable, even if this command failed
            raise
        finally:
            if probing:
                self._probe.release()
        self._answered_at = self._clock()
        if self._problem is not None:
            self._recovered()
        return result

    def check(self) -> str | None:
        """Why Redis cannot be counted on now (None: it can). Asks Redis when nothing has been
        heard from it for ``retry_interval`` (so a Redis that went away shows even without
        traffic), or when a retry is due."""
        if self._problem is None and self._clock() - self._answered_at < self.retry_interval:
            return None
        with contextlib.suppress(RedisUnavailable, RedisError):
            self.run(lambda client: client.ping())
        return self._problem

    def _failed(self, error: BaseException) -> None:
        cause = describe_failure(error)
        problem = f"Redis at {self.address} {cause}; start it or correct AFFSITE_REDIS_URL"
        with self._lock:
            first = self._problem is None
            self._problem = problem
            self._failed_at = self._clock()
        if self._health is not None:
            self._health.record("redis", f"Redis {cause}")
            self._health.set_limits(problem, f"Redis {cause}")
        if first:
            log.error("%s; gateway calls are stopped until it works again", problem)

    def _recovered(self) -> None:
        with self._lock:
            if self._problem is None:
                return
            self._problem = None
        if self._health is not None:
            self._health.set_limits(None)
        log.warning("Redis at %s works again; gateway calls resume", self.address)

    def close(self) -> None:
        try:
            self.client.close()
        except RedisError as error:  # closing never matters enough to fail
            log.debug("closing the Redis client: %s", error)


def server_facts(link: RedisLink) -> dict[str, Any]:
    """What Redis says about itself (version, memory, eviction policy), or {} when it cannot
    be asked."""
    try:
        info = link.run(lambda client: client.info())
    except (RedisUnavailable, RedisError):
        return {}
    if not isinstance(info, dict):
        return {}
    keys = ("redis_version", "used_memory", "maxmemory", "maxmemory_policy")
    return {key: info[key] for key in keys if key in info}
