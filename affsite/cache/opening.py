"""Opening the two stores, under a cache folder or in Redis, never raising; on disk every file
is owner-only.

With ``AFFSITE_REDIS_URL`` both stores live in Redis instead (``redis_store``), shared by every
machine of the site, under ``<prefix>:data:`` and ``<prefix>:ctl:``; the entries' version is
``<prefix>:entries-version``. Otherwise, on disk (every folder affsite creates is 0700, every
file 0600)::

    <cache>/data/   FanoutCache: product entries. Evicting (size limit): losing one only
                    costs a gateway call. Cannot be opened: ``NullStore`` (no caching).
    <cache>/ctl/    Cache(eviction_policy="none"): quota counter, speed limiter, fetch locks,
                    circuit breaker, ban, statistics. Never evicted: an evicted bucket or lock
                    would silently reset a limit. See ``ControlStore`` for when it fails.

The catalog keeps its product index beside them, in ``<cache>/index/`` (a SQLite file it opens
itself: ``affsite.catalog.index_db``).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import diskcache

from affsite.cache.control import ControlStore
from affsite.cache.disk import DiskStore, Opener, StoreSite
from affsite.cache.health import CacheHealth, StoreMode, describe_error
from affsite.cache.journal import Journal
from affsite.cache.memory import NullStore
from affsite.cache.protocol import Store
from affsite.cache.value_format import JsonDisk
from affsite.files import ensure_private_dir, make_private_file

if TYPE_CHECKING:
    from affsite.cache.redis_link import RedisLink
    from affsite.cache.redis_version import SharedVersion

log = logging.getLogger(__name__)

DATA_SIZE_LIMIT = 512 * 1024 * 1024
DATA_SHARDS = 4
# Seconds a store waits for SQLite's write lock before giving up (it then counts as a failure).
DATA_TIMEOUT = 1.0
CONTROL_TIMEOUT = 5.0

# SQLite's own memory, per connection (diskcache opens one per thread and database: a worker
# with 4 threads holds about 25). diskcache would let each page cache grow to 32 MiB and map
# up to 64 MiB of each file into the process; both then grow with the catalog until every
# worker holds its own copy of the cache's hot pages. Pages read past this small cache come
# from the system's file cache, which all workers share.
SQLITE_SETTINGS = {"sqlite_cache_size": 16, "sqlite_mmap_size": 0}  # pages of 4 KiB; bytes

_DATABASE = "cache.db"
# SQLite creates these beside the database with the database file's mode.
_DATABASE_COMPANIONS = ("cache.db-wal", "cache.db-shm")


def _private_database(folder: Path) -> None:
    """Make ``folder/cache.db`` exist owner-only before SQLite opens it.

    SQLite would create it (and its WAL and shared-memory files, which copy its mode) with the
    umask, usually 0644. Files left 0644 by an older version are restricted too: they are ours.
    """
    ensure_private_dir(folder)
    make_private_file(folder / _DATABASE)
    for name in _DATABASE_COMPANIONS:
        make_private_file(folder / name, create=False)


def open_data_cache(path: Path) -> diskcache.FanoutCache:
    for shard in range(DATA_SHARDS):
        _private_database(path / f"{shard:03d}")  # FanoutCache's shard folder names
    return diskcache.FanoutCache(
        str(path),
        shards=DATA_SHARDS,
        timeout=DATA_TIMEOUT,
        disk=JsonDisk,
        size_limit=DATA_SIZE_LIMIT,
        eviction_policy="least-recently-stored",
        **SQLITE_SETTINGS,
    )


def open_control_cache(path: Path) -> diskcache.Cache:
    _private_database(path)
    return diskcache.Cache(
        str(path),
        timeout=CONTROL_TIMEOUT,
        disk=JsonDisk,
        eviction_policy="none",
        **SQLITE_SETTINGS,
    )


@dataclass(kw_only=True)
class CacheStores:
    """The data and control stores of one process, and their health."""

    data: Store
    ctl: Store
    health: CacheHealth
    directory: Path | None = None  # on disk: the cache folder
    # In Redis: the entries' version every machine sees (on disk it is a file in ``directory``).
    version: SharedVersion | None = None
    link: RedisLink | None = None
    # In Redis: this machine's own folder (for what each machine keeps itself, kept in step
    # with the other machines through ``journal``).
    local_directory: Path | None = None
    journal: Journal | None = None

    def check_limits(self) -> str | None:
        """Why gateway calls are stopped right now (None: they are not).

        Tries the control store's disk again when a retry is due, so a health check notices
        the recovery even when no page asked for a product.
        """
        self.ctl.not_shared_reason()
        return self.health.limits_problem

    def close(self) -> None:
        self.data.close()
        self.ctl.close()
        if self.link is not None:
            self.link.close()


def open_stores(
    directory: Path,
    *,
    data_opener: Opener = open_data_cache,
    control_opener: Opener = open_control_cache,
    clock: Callable[[], float] = time.monotonic,
    redis_url: str | None = None,
    redis_prefix: str = "affsite",
) -> CacheStores:
    """Open (creating, mode 0700) ``directory/data`` and ``directory/ctl``, or with
    ``redis_url`` both stores in Redis under ``redis_prefix`` (``directory`` is then unused).
    Never raises: whatever cannot be opened is replaced by its stand-in and recorded in
    ``health``; a Redis that cannot be reached is tried again as it is used.

    ``clock`` (monotonic seconds) paces recovery attempts.
    """
    if redis_url:
        stores = open_redis_stores(redis_url, prefix=redis_prefix, clock=clock)
        try:
            ensure_private_dir(directory)
            stores.local_directory = directory
        except OSError as error:  # what each machine keeps itself then stays in Redis
            log.warning("cache folder %s cannot be used: %s", directory, error)
        return stores
    health = CacheHealth(backend=StoreMode.DISK, backend_detail=str(directory))
    try:
        ensure_private_dir(directory)
    except OSError as error:
        health.record("cache", describe_error(error))
    data: Store
    try:
        data = DiskStore.open(
            StoreSite(
                name="data", path=directory / "data", opener=data_opener, health=health, clock=clock
            )
        )
        health.set_mode("data", StoreMode.DISK)
    except Exception as error:  # any failure to open means "no caching"
        log.error("cache %s could not be opened (%s): caching is off", directory, error)
        health.record("data", describe_error(error))
        health.set_mode("data", StoreMode.OFF)
        data = NullStore("data")
    ctl = ControlStore(
        StoreSite(
            name="ctl", path=directory / "ctl", opener=control_opener, health=health, clock=clock
        )
    )
    return CacheStores(data=data, ctl=ctl, health=health, directory=directory)


def open_redis_stores(
    url: str, *, prefix: str, clock: Callable[[], float] = time.monotonic
) -> CacheStores:
    """Both stores in the Redis at ``url``, under ``prefix`` (see the module doc).

    Asks Redis once whether it answers, so that the dashboard and the limits know from the
    start; a Redis that does not is tried again as the stores are used.

    :raise ValueError: ``url`` is not a Redis URL (configuration checks it before).
    """
    # The Redis client is loaded only here: a site on one machine never pays for it (it
    # brings asyncio with it, about 8 MB in every worker).
    from affsite.cache.redis_journal import RedisJournal
    from affsite.cache.redis_link import RedisLink, connect, server_facts
    from affsite.cache.redis_store import REMEMBERED_VALUES, RedisStore
    from affsite.cache.redis_version import SharedVersion

    health = CacheHealth(backend=StoreMode.REDIS)
    link = RedisLink(connect(url), health=health, clock=clock)
    health.backend_detail = f"{link.address}, keys under {prefix}:"
    data = RedisStore("data", link, prefix=prefix, health=health, remember=REMEMBERED_VALUES)
    ctl = RedisStore("ctl", link, prefix=prefix, health=health, stand_in=True)
    health.set_mode("data", StoreMode.REDIS)
    health.set_mode("ctl", StoreMode.REDIS)
    facts = server_facts(link)  # the first command: learns whether Redis answers
    policy = str(facts.get("maxmemory_policy", "noeviction"))
    if facts.get("maxmemory") and policy != "noeviction":
        # The quota counter, the ban and the locks would be evicted like any cached product.
        message = (
            f"Redis evicts keys when its memory is full (maxmemory-policy {policy}), the "
            "daily quota count included: set maxmemory-policy noeviction"
        )
        log.error(message)
        health.warning = message
    version = SharedVersion(link, f"{prefix}:entries-version", clock=clock)
    journal = RedisJournal(link, f"{prefix}:journal")
    return CacheStores(
        data=data, ctl=ctl, health=health, version=version, link=link, journal=journal
    )
