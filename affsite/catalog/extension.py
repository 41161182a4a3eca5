"""The catalog in a Flask app: built once per process, found by ``get_catalog()``, and
flushed when the process stops.

View counts, clicks on boxes and answer counters are buffered in memory between flushes
(``index``, ``clicks``, ``stats``), so a worker that stops must write them first:
``init_app`` registers ``flush_on_exit`` with ``atexit`` (a gunicorn worker leaves through
``sys.exit``, which runs it), and the server calls it from gunicorn's ``worker_exit`` hook as
well.
"""

from __future__ import annotations

import atexit
import logging
import threading
import weakref
from pathlib import Path
from typing import TYPE_CHECKING

from affsite.cache import open_stores
from affsite.catalog.background import InlineRefresher, ThreadRefresher
from affsite.catalog.facade import Catalog
from affsite.clock import Clock, Sleeper, system_clock, system_sleep

if TYPE_CHECKING:
    from flask import Flask

log = logging.getLogger(__name__)

EXTENSION_KEY = "affsite.catalog"

_live: weakref.WeakSet[Catalog] = weakref.WeakSet()
_live_lock = threading.Lock()
_hooked = False


def init_app(app: Flask, catalog: Catalog | None = None) -> None:
    """Build the app's catalog (or install ``catalog``) in ``app.extensions``.

    Settings come from the app's settings store (``affsite.settings.init_app`` first), read
    per request; the cache lives in ``<instance>/cache`` (config ``CACHE_DIR``, env
    ``AFFSITE_CACHE_DIR``, overrides), or in Redis with ``REDIS_URL``; time comes from
    config ``CLOCK`` when set; stale entries are refreshed in a background thread (config
    ``REFRESH_INLINE`` true: right away, in the request that found them).
    """
    if catalog is None:
        catalog = _build(app)
    app.extensions[EXTENSION_KEY] = catalog
    _flush_at_exit(catalog)


def _build(app: Flask) -> Catalog:
    from affsite.settings import settings_store

    with app.app_context():
        store = settings_store()
    directory = Path(app.config.get("CACHE_DIR") or Path(app.instance_path) / "cache")
    clock: Clock = app.config.get("CLOCK") or system_clock
    sleep: Sleeper = getattr(clock, "sleep", system_sleep)
    inline = bool(app.config.get("REFRESH_INLINE"))
    return Catalog(
        settings=store.load,
        stores=open_stores(
            directory,
            redis_url=app.config.get("REDIS_URL"),
            redis_prefix=app.config.get("REDIS_PREFIX") or "affsite",
        ),
        clock=clock,
        sleep=sleep,
        refresher=InlineRefresher() if inline else ThreadRefresher(),
    )


def get_catalog() -> Catalog:
    """The current app's catalog (inside an app or request context)."""
    from flask import current_app

    catalog: Catalog = current_app.extensions[EXTENSION_KEY]
    return catalog


def flush_on_exit() -> None:
    """Write what every catalog of this process holds in memory (view counts, clicks, answer
    counters). For gunicorn's ``worker_exit`` hook; ``init_app`` registers it with ``atexit``.
    Never raises: the process is stopping anyway.
    """
    with _live_lock:
        catalogs = list(_live)
    for catalog in catalogs:
        try:
            catalog.flush()
        except Exception:
            log.exception("could not write the catalog's buffered counts on exit")


def _flush_at_exit(catalog: Catalog) -> None:
    global _hooked
    with _live_lock:
        _live.add(catalog)  # weakly: a catalog an app no longer uses is not kept alive
        if not _hooked:
            atexit.register(flush_on_exit)
            _hooked = True
