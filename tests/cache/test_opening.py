"""Opening the stores: private folders and files, and never a crash."""

from __future__ import annotations

import os
import sqlite3
import stat
from pathlib import Path

import diskcache
import pytest

from affsite.cache import ControlStore, NullStore, open_stores


def mode(path: Path) -> int:
    return stat.S_IMODE(path.lstat().st_mode)


def test_cache_folders_are_private(cache_dir: Path) -> None:
    stores = open_stores(cache_dir)
    try:
        for folder in (cache_dir, cache_dir / "data", cache_dir / "ctl"):
            assert mode(folder) == 0o700
    finally:
        stores.close()


@pytest.mark.parametrize("umask", [0o022, 0o002, 0o000], ids=["022", "002", "000"])
def test_every_file_and_folder_under_the_cache_is_owner_only(cache_dir: Path, umask: int) -> None:
    previous = os.umask(umask)
    try:
        stores = open_stores(cache_dir)
        try:
            for n in range(20):
                stores.data.set(f"small{n}", {"n": n})
                stores.data.set(f"big{n}", {"blob": str(n) * 50_000})  # separate value files
            stores.ctl.set("quota:today", 3)
            stores.ctl.atomic(lambda tx: tx.set("lock", {"owner": "me"}))
            assert stores.data.get("big7") == {"blob": "7" * 50_000}
            # Looked at while open: SQLite removes the WAL files when the last user closes.
            modes = {path: (mode(path), path.is_dir()) for path in cache_dir.rglob("*")}
        finally:
            stores.close()
    finally:
        os.umask(previous)
    files = {path: bits for path, (bits, folder) in modes.items() if not folder}
    assert {"cache.db", "cache.db-wal", "cache.db-shm"} <= {path.name for path in files}
    assert sum(path.suffix == ".val" for path in files) == 20
    assert {path: oct(bits) for path, bits in files.items() if bits != 0o600} == {}
    folders = {path: bits for path, (bits, folder) in modes.items() if folder}
    assert {path: oct(bits) for path, bits in folders.items() if bits != 0o700} == {}


def test_files_left_readable_by_an_older_version_are_restricted(cache_dir: Path) -> None:
    ctl = cache_dir / "ctl"
    ctl.mkdir(parents=True, mode=0o700)
    old = diskcache.Cache(str(ctl))
    old.set("k", 1)
    old.close()
    os.chmod(ctl / "cache.db", 0o644)
    stores = open_stores(cache_dir)
    stores.close()
    assert mode(ctl / "cache.db") == 0o600


def test_an_existing_shared_cache_folder_keeps_its_mode(tmp_path: Path) -> None:
    shared = tmp_path / "shared"
    shared.mkdir()
    shared.chmod(0o1777)  # like /tmp: sticky, writable by all
    stores = open_stores(shared)
    try:
        stores.data.set("k", 1)
    finally:
        stores.close()
    assert mode(shared) == 0o1777, "the sticky bit and the others' access are kept"
    assert mode(shared / "data") == mode(shared / "ctl") == 0o700, "our own folders are private"


def test_a_cache_that_cannot_be_opened_means_no_caching_not_a_crash(cache_dir: Path) -> None:
    def full_disk(path: Path) -> diskcache.FanoutCache:
        raise sqlite3.OperationalError("database or disk is full")

    stores = open_stores(cache_dir, data_opener=full_disk, control_opener=full_disk)
    assert isinstance(stores.data, NullStore)
    assert isinstance(stores.ctl, ControlStore)
    assert stores.data.set("k", 1) is False and stores.data.get("k") is None
    assert stores.ctl.add("lock", 1) and not stores.ctl.add("lock", 1)  # locks still hold
    assert stores.health.degraded
    assert "disk is full" in stores.health.summary()
    # ... but the limits kept there are this process's own: they say so.
    assert stores.ctl.not_shared_reason() is not None
    assert stores.check_limits() is not None and not stores.health.limits_ok


def test_a_file_where_the_cache_folder_should_be_costs_caching_not_a_crash(
    tmp_path: Path,
) -> None:
    (tmp_path / "cache").write_text("not a folder")
    stores = open_stores(tmp_path / "cache")
    assert isinstance(stores.data, NullStore)
    assert not stores.health.limits_ok
    stores.close()
