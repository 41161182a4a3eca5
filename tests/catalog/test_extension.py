"""The catalog in a Flask app: built from the app's settings, found by ``get_catalog()``, and
nothing it buffered is lost when a worker stops (issue 9, item 5).
"""

from __future__ import annotations

import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest
from flask import Flask

from affsite import create_app
from affsite.cache import open_stores
from affsite.catalog import EXTENSION_KEY, Catalog, Purpose, flush_on_exit, get_catalog, init_app
from affsite.catalog.entries import namespace
from affsite.catalog.index import open_product_index
from affsite.clock import FakeClock
from affsite.settings import Settings

from .conftest import MakeCatalog


def test_the_app_builds_its_catalog_from_its_settings_and_cache_folder(tmp_path: Path) -> None:
    app = create_app(
        {
            "TESTING": True,
            "INSTANCE_PATH": str(tmp_path / "instance"),
            "CACHE_DIR": str(tmp_path / "elsewhere"),
            "CLOCK": FakeClock(),
        }
    )
    with app.app_context():
        catalog = get_catalog()
        assert catalog is app.extensions[EXTENSION_KEY]
        assert catalog.settings() == Settings()
    catalog.close()
    assert (tmp_path / "elsewhere" / "ctl").is_dir()


def test_an_app_without_its_settings_store_is_an_error_not_a_default(tmp_path: Path) -> None:
    app = Flask(__name__, instance_path=str(tmp_path))
    with pytest.raises(KeyError):
        init_app(app)


def test_flushing_on_exit_writes_every_live_catalog_and_skips_closed_ones(
    make_catalog: MakeCatalog, promotable: list[str]
) -> None:
    app = Flask(__name__)
    open_one, closed = make_catalog(), make_catalog()
    init_app(app, open_one)
    init_app(app, closed)
    closed.close()
    open_one.products(promotable[:2], purpose=Purpose.PAGE)
    ctl = open_one.stores.ctl
    assert ctl.get("stats:MISS") is None, "buffered, not written per answer"

    flush_on_exit()

    assert ctl.get("stats:MISS") == 2


def test_a_catalog_that_cannot_flush_does_not_stop_the_others(
    make_catalog: MakeCatalog, promotable: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    app = Flask(__name__)
    broken, sound = make_catalog(), make_catalog()
    init_app(app, broken)
    init_app(app, sound)
    sound.products(promotable[:1], purpose=Purpose.PAGE)

    def explode() -> None:
        raise RuntimeError("store gone")

    with monkeypatch.context() as patch:
        patch.setattr(broken, "flush", explode)
        flush_on_exit()
    assert sound.stores.ctl.get("stats:MISS") == 1


_WORKER = textwrap.dedent(
    """
    import signal, sys, time
    from affsite import create_app
    from affsite.catalog import Purpose, get_catalog

    instance, views, *ids = sys.argv[1:]
    app = create_app({"INSTANCE_PATH": instance})
    # What a gunicorn worker does with SIGTERM: stop serving, then leave through sys.exit.
    signal.signal(signal.SIGTERM, lambda signum, frame: sys.exit(0))
    with app.app_context():
        for _ in range(int(views)):
            get_catalog().products(ids, purpose=Purpose.PAGE)
    print("ready", flush=True)
    for _ in range(600):  # bounded: a minute at most
        time.sleep(0.1)
    sys.exit(3)
    """
)


@pytest.mark.slow
def test_counts_survive_a_sigterm_of_the_worker(tmp_path: Path) -> None:
    # Demo mode: the in-process sandbox answers; no network.
    instance = tmp_path / "instance"
    ids = ["1005004757833857", "1005006188820412"]
    views = 5
    with subprocess.Popen(
        [sys.executable, "-c", _WORKER, str(instance), str(views), *ids],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    ) as worker:
        try:
            assert worker.stdout is not None
            ready = worker.stdout.readline().strip()
            started = time.monotonic()
            worker.terminate()  # SIGTERM, well within the 30 s between two flushes
            _, errors = worker.communicate(timeout=30)
        finally:
            if worker.poll() is None:
                worker.kill()
    assert ready == "ready", errors
    assert worker.returncode == 0, errors
    assert time.monotonic() - started < 30

    stores = open_stores(instance / "cache")
    try:
        assert stores.ctl.get("stats:MISS") == len(ids)
        assert stores.ctl.get("stats:HIT") == len(ids) * (views - 1)
        index = open_product_index(stores, FakeClock())
        rows = index.rows(namespace(Settings()))
        index.close()
        assert {pid: rows[pid].total_views for pid in ids} == dict.fromkeys(ids, views)
    finally:
        stores.close()


def test_a_closed_catalog_is_not_written_again(catalog: Catalog) -> None:
    catalog.close()
    catalog.flush()  # after close: nothing happens, nothing raises
    catalog.close()
