"""The stores under the cache folder, and what happens when the disk misbehaves.

Two stores (``open_stores``): ``data`` holds product entries and may evict; ``ctl`` (the
control store) holds the limits shared by every worker and never evicts. Values are JSON, never
pickle (``value_format``); every file is owner-only. Nothing here raises into a request: a
corrupt database is moved aside and rebuilt (``disk``), a data store that cannot be opened
means no caching (``memory.NullStore``), and a control store that cannot be kept on disk
stops gateway calls until it can (``control``), all recorded in plain words by
``CacheHealth`` (``health``). Every store follows ``protocol.Store``.

With ``AFFSITE_REDIS_URL`` both stores live in Redis instead, shared by every machine of the
site (``redis_store``, through one ``redis_link`` per process; ``redis_version`` tells every
process within a second that entries changed): a Redis that is down or slow stops gateway
calls until it answers again, as a failing disk does.
"""

from typing import TYPE_CHECKING, Any

from affsite.cache.control import ControlStore
from affsite.cache.disk import RECOVERY_INTERVAL, DiskStore, StoreSite, quarantine
from affsite.cache.health import CacheHealth, StoreMode, describe_error
from affsite.cache.journal import START, Journal, MemoryJournal, position_key
from affsite.cache.memory import MemoryStore, NullStore
from affsite.cache.opening import (
    CacheStores,
    open_control_cache,
    open_data_cache,
    open_redis_stores,
    open_stores,
)
from affsite.cache.protocol import Store, StoreError, Tx
from affsite.cache.value_format import JsonDisk

if TYPE_CHECKING:
    from affsite.cache.redis_journal import RedisJournal
    from affsite.cache.redis_link import RedisLink, RedisUnavailable, check_url
    from affsite.cache.redis_store import RedisStore
    from affsite.cache.redis_version import SharedVersion

# Loaded when first asked for: the Redis client costs every worker memory, and a site on one
# machine never uses it.
_REDIS_NAMES = {
    "RedisJournal": "affsite.cache.redis_journal",
    "RedisLink": "affsite.cache.redis_link",
    "RedisUnavailable": "affsite.cache.redis_link",
    "check_url": "affsite.cache.redis_link",
    "RedisStore": "affsite.cache.redis_store",
    "SharedVersion": "affsite.cache.redis_version",
}


def __getattr__(name: str) -> Any:
    module = _REDIS_NAMES.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    from importlib import import_module

    return getattr(import_module(module), name)


__all__ = [
    "RECOVERY_INTERVAL",
    "START",
    "CacheHealth",
    "CacheStores",
    "ControlStore",
    "DiskStore",
    "Journal",
    "JsonDisk",
    "MemoryJournal",
    "MemoryStore",
    "NullStore",
    "RedisJournal",
    "RedisLink",
    "RedisStore",
    "RedisUnavailable",
    "SharedVersion",
    "Store",
    "StoreError",
    "StoreMode",
    "StoreSite",
    "Tx",
    "check_url",
    "describe_error",
    "open_control_cache",
    "open_data_cache",
    "open_redis_stores",
    "open_stores",
    "position_key",
    "quarantine",
]
