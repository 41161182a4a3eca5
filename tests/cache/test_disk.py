"""A disk store never fails a request: failed reads are misses, failed writes are dropped and
counted, and a corrupt database is moved aside and rebuilt.
"""

from __future__ import annotations

import errno
import os
import sqlite3
from pathlib import Path

import diskcache
import pytest

from affsite.cache import (
    RECOVERY_INTERVAL,
    CacheHealth,
    DiskStore,
    StoreError,
    StoreSite,
    open_control_cache,
    open_stores,
    quarantine,
)
from affsite.clock import FakeClock


def test_garbage_database_is_quarantined_and_rebuilt(cache_dir: Path) -> None:
    data = cache_dir / "data" / "000"
    data.mkdir(parents=True)
    (data / "cache.db").write_bytes(b"this is not a database" * 100)

    stores = open_stores(cache_dir)
    try:
        assert stores.health.modes["data"] == "disk"
        assert stores.data.set("k", 1) and stores.data.get("k") == 1
        moved = list(cache_dir.glob("data.corrupt-*"))
        assert len(moved) == 1
        assert (moved[0] / "000" / "cache.db").read_bytes().startswith(b"this is not")
        assert "moved aside" in stores.health.summary()
    finally:
        stores.close()


@pytest.mark.parametrize(
    "failure",
    [sqlite3.OperationalError("database or disk is full"), OSError(errno.ENOSPC, "No space")],
    ids=["sqlite-full", "enospc"],
)
def test_failed_writes_are_dropped_and_counted(
    cache_dir: Path, monkeypatch: pytest.MonkeyPatch, failure: Exception
) -> None:
    stores = open_stores(cache_dir)
    try:
        stores.data.set("kept", "before")

        def refuse(*args: object, **kwargs: object) -> bool:
            raise failure

        monkeypatch.setattr(diskcache.Cache, "set", refuse)
        assert stores.data.set("new", "value") is False
        assert stores.data.get("kept") == "before"  # reads keep working
        assert stores.health.write_errors == 1
        assert "disk is full" in stores.health.summary()
    finally:
        stores.close()


def test_atomic_on_a_broken_disk_store_raises_store_error(tmp_path: Path) -> None:
    store = DiskStore(
        StoreSite(
            name="ctl", path=tmp_path / "ctl", opener=open_control_cache, health=CacheHealth()
        )
    )

    def boom(tx: object) -> None:
        raise sqlite3.OperationalError("database or disk is full")

    with pytest.raises(StoreError):
        store.atomic(boom)
    store.close()


def test_a_failed_read_is_a_miss_or_a_store_error_for_who_asks(tmp_path: Path) -> None:
    health = CacheHealth()
    store = DiskStore(
        StoreSite(name="ctl", path=tmp_path / "ctl", opener=open_control_cache, health=health)
    )

    class Broken:
        def get(self, *args: object, **kwargs: object) -> None:
            raise sqlite3.OperationalError("disk I/O error")

        def close(self) -> None:
            return None

    store._cache = Broken()
    assert store.get("k", "default") == "default"
    with pytest.raises(StoreError):
        store.read("k")
    assert health.read_errors == 2
    assert not health.quarantined, "an I/O error is not corruption"


def test_corruption_found_while_running_is_quarantined_once_per_interval(
    tmp_path: Path, clock: FakeClock
) -> None:
    health = CacheHealth()
    store = DiskStore(
        StoreSite(
            name="ctl", path=tmp_path / "ctl", opener=open_control_cache, health=health, clock=clock
        )
    )

    class Corrupt:
        def get(self, *args: object, **kwargs: object) -> None:
            raise sqlite3.DatabaseError("database disk image is malformed")

        def close(self) -> None:
            return None

    store._cache = Corrupt()
    assert store.get("k", "miss") == "miss"
    assert len(health.quarantined) == 1
    assert store.set("after", 1) and store.get("after") == 1  # a fresh database

    store._cache = Corrupt()
    store.get("k")
    assert len(health.quarantined) == 1, "not again within the interval"
    clock.advance(RECOVERY_INTERVAL)
    store.get("k")
    assert len(health.quarantined) == 2
    store.close()


def test_quarantine_keeps_only_the_newest_copies(tmp_path: Path) -> None:
    folder = tmp_path / "data"
    for _ in range(5):
        folder.mkdir()
        assert quarantine(folder) is not None
    assert len(list(tmp_path.glob("data.corrupt-*"))) == 3
    assert quarantine(folder) is None, "nothing to move"


@pytest.mark.skipif(os.geteuid() != 0, reason="giving a folder to another user needs root")
def test_quarantine_deletes_only_its_own_old_copies(tmp_path: Path) -> None:
    theirs = tmp_path / "data.corrupt-00000000T000000000000Z"
    theirs.mkdir()
    os.chown(theirs, 65534, 65534)
    folder = tmp_path / "data"
    for _ in range(4):
        folder.mkdir()
        assert quarantine(folder) is not None
    assert theirs.exists(), "a look-alike folder of another user is not ours to delete"
    assert len(list(tmp_path.glob("data.corrupt-*"))) == 4
