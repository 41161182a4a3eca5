"""The stores under <instance>/cache: private, pickle-free, and never a reason to fail."""

from __future__ import annotations

import errno
import pickle
import sqlite3
import stat
from pathlib import Path

import diskcache
import pytest

from affsite.cache import (
    ControlStore,
    DiskStore,
    MemoryStore,
    NullStore,
    StoreError,
    open_control_cache,
    open_stores,
)


def test_cache_folders_are_private(tmp_path: Path) -> None:
    stores = open_stores(tmp_path / "cache")
    try:
        for folder in (tmp_path / "cache", tmp_path / "cache" / "data", tmp_path / "cache" / "ctl"):
            assert stat.S_IMODE(folder.stat().st_mode) == 0o700
    finally:
        stores.close()


def test_values_round_trip_as_json_and_counters_stay_numbers(tmp_path: Path) -> None:
    stores = open_stores(tmp_path / "cache")
    try:
        stores.data.set("entry", {"data": {"title": "<b>x</b>", "images": ["a"]}, "n": None})
        assert stores.data.get("entry") == {
            "data": {"title": "<b>x</b>", "images": ["a"]},
            "n": None,
        }
        stores.ctl.set("count", 41)
        assert stores.ctl.atomic(lambda tx: tx.get("count") + 1) == 42
        big = {"blob": "x" * 100_000}  # stored as a file, still JSON
        stores.data.set("big", big)
        assert stores.data.get("big") == big
    finally:
        stores.close()


def test_a_pickled_value_planted_on_disk_is_refused(tmp_path: Path) -> None:
    folder = tmp_path / "cache" / "ctl"
    folder.mkdir(parents=True)
    planted = diskcache.Cache(str(folder))  # default Disk: pickles
    planted.set("evil", {"set": {1, 2}})  # a set cannot be JSON: pickled
    planted.close()
    assert pickle.dumps({1})  # (pickle is what we refuse, not what we use)

    stores = open_stores(tmp_path / "cache")
    try:
        assert stores.ctl.get("evil") is None
        assert stores.health.read_errors == 1
    finally:
        stores.close()


def test_garbage_database_is_quarantined_and_rebuilt(tmp_path: Path) -> None:
    data = tmp_path / "cache" / "data" / "000"
    data.mkdir(parents=True)
    (data / "cache.db").write_bytes(b"this is not a database" * 100)

    stores = open_stores(tmp_path / "cache")
    try:
        assert stores.health.modes["data"] == "disk"
        assert stores.data.set("k", 1) and stores.data.get("k") == 1
        moved = list((tmp_path / "cache").glob("data.corrupt-*"))
        assert len(moved) == 1
        assert (moved[0] / "000" / "cache.db").read_bytes().startswith(b"this is not")
        assert "moved aside" in stores.health.summary()
    finally:
        stores.close()


def test_a_cache_that_cannot_be_opened_means_no_caching_not_a_crash(tmp_path: Path) -> None:
    def full_disk(path: Path) -> diskcache.FanoutCache:
        raise sqlite3.OperationalError("database or disk is full")

    stores = open_stores(tmp_path / "cache", data_opener=full_disk, control_opener=full_disk)
    assert isinstance(stores.data, NullStore)
    assert isinstance(stores.ctl, MemoryStore)
    assert stores.data.set("k", 1) is False and stores.data.get("k") is None
    assert stores.ctl.add("lock", 1) and not stores.ctl.add("lock", 1)  # limits still hold
    assert stores.health.degraded
    assert "disk is full" in stores.health.summary()


@pytest.mark.parametrize(
    "failure",
    [sqlite3.OperationalError("database or disk is full"), OSError(errno.ENOSPC, "No space")],
    ids=["sqlite-full", "enospc"],
)
def test_failed_writes_are_dropped_and_counted(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, failure: Exception
) -> None:
    stores = open_stores(tmp_path / "cache")
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


def test_control_store_continues_in_memory_when_the_disk_refuses_writes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    stores = open_stores(tmp_path / "cache")
    ctl = stores.ctl
    assert isinstance(ctl, ControlStore)
    ctl.set("quota:today", 7)

    def refuse(self: diskcache.Cache, *args: object, **kwargs: object) -> None:
        raise sqlite3.OperationalError("database or disk is full")

    monkeypatch.setattr(diskcache.Cache, "transact", refuse)
    monkeypatch.setattr(diskcache.Cache, "set", refuse)
    # The count read from disk carries on in memory.
    assert ctl.atomic(lambda tx: tx.get("quota:today") + 1) == 8
    ctl.atomic(lambda tx: tx.set("quota:today", 8))
    assert ctl.get("quota:today") == 8
    assert stores.health.modes["ctl"] == "memory"
    assert ctl.add("lock", "me") and not ctl.add("lock", "other")
    stores.close()


def test_corrupt_pages_found_while_running_are_misses_then_rebuilt(tmp_path: Path) -> None:
    health_stores = open_stores(tmp_path / "cache")
    store = health_stores.ctl
    assert isinstance(store, ControlStore)
    disk: DiskStore = store._disk  # noqa: SLF001 - the test reaches into the real store

    class Corrupt:
        def get(self, *args: object, **kwargs: object) -> None:
            raise sqlite3.DatabaseError("database disk image is malformed")

        def close(self) -> None:
            return None

    disk._cache = Corrupt()  # noqa: SLF001
    assert store.get("anything", "default") == "default"
    assert health_stores.health.quarantined, "a corrupt store is moved aside"
    assert store.set("after", 1) and store.get("after") == 1
    health_stores.close()


def test_atomic_on_a_broken_disk_store_raises_store_error(tmp_path: Path) -> None:
    from affsite.cache import CacheHealth

    store = DiskStore("ctl", tmp_path / "ctl", open_control_cache, CacheHealth())

    def boom(tx: object) -> None:
        raise sqlite3.OperationalError("database or disk is full")

    with pytest.raises(StoreError):
        store.atomic(boom)
    store.close()


def test_null_store_has_the_same_interface() -> None:
    null = NullStore()
    assert null.get("k", 5) == 5 and not null.set("k", 1) and not null.add("k", 1)
    assert null.atomic(lambda tx: tx.add("k", 1)) is True
    assert null.count() == 0 and null.clear() == 0
