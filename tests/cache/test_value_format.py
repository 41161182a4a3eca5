"""Values on disk are JSON, never pickle, and their files are owner-only."""

from __future__ import annotations

import os
import pickle
import stat
from pathlib import Path

import diskcache
import pytest

from affsite.cache import JsonDisk, open_stores


def test_values_round_trip_as_json_and_counters_stay_numbers(cache_dir: Path) -> None:
    stores = open_stores(cache_dir)
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


def test_a_pickled_value_planted_on_disk_is_refused(cache_dir: Path) -> None:
    folder = cache_dir / "ctl"
    folder.mkdir(parents=True)
    planted = diskcache.Cache(str(folder))  # default Disk: pickles
    planted.set("evil", {"set": {1, 2}})  # a set cannot be JSON: pickled
    planted.close()
    assert pickle.dumps({1})  # (pickle is what we refuse, not what we use)

    stores = open_stores(cache_dir)
    try:
        assert stores.ctl.get("evil") is None
        assert stores.health.read_errors == 1
    finally:
        stores.close()


def test_values_that_cannot_be_json_are_refused_not_pickled(tmp_path: Path) -> None:
    cache = diskcache.Cache(str(tmp_path / "c"), disk=JsonDisk)
    try:
        with pytest.raises(TypeError):
            cache.set("k", {1, 2})
        with pytest.raises(TypeError):
            cache.set(("tuple", "key"), 1)
    finally:
        cache.close()


@pytest.mark.parametrize("umask", [0o022, 0o000], ids=["umask-022", "umask-000"])
def test_value_files_and_their_folders_are_owner_only(tmp_path: Path, umask: int) -> None:
    previous = os.umask(umask)
    try:
        cache = diskcache.Cache(str(tmp_path / "c"), disk=JsonDisk)
        cache.set("big", "x" * 100_000)  # a str value file
        cache.set("bigger", {"blob": "y" * 100_000})  # a bytes value file
        assert cache.get("big") == "x" * 100_000
        cache.close()
    finally:
        os.umask(previous)
    values = list((tmp_path / "c").rglob("*.val"))
    assert len(values) == 2
    for value in values:
        assert stat.S_IMODE(value.stat().st_mode) == 0o600, value
        for folder in (value.parent, value.parent.parent):
            assert stat.S_IMODE(folder.stat().st_mode) == 0o700, folder
