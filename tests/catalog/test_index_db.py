"""The product index's file: a damaged, foreign or replaced file never breaks a page; it is
moved aside and a new one is started."""

from __future__ import annotations

import contextlib
import shutil
import sqlite3
from pathlib import Path

import pytest

from affsite.catalog.index_db import INDEX_FILE, IndexDatabase, IndexUnavailable
from affsite.catalog.index_sqlite import SqliteIndex
from affsite.clock import FakeClock


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    return tmp_path / "cache" / "index"


def _set_aside(folder: Path) -> list[Path]:
    return sorted(folder.parent.glob("index.corrupt-*"))


def _views(folder: Path, clock: FakeClock, *ids: str) -> dict[str, int]:
    index = SqliteIndex(folder, clock)
    try:
        index.viewed("ns", ids, by_site=True)
        index.flush(force=True)
        return {pid: row.total_views for pid, row in index.rows("ns").items()}
    finally:
        index.close()


def test_a_file_that_is_not_a_database_is_moved_aside_and_a_new_one_started(
    folder: Path, clock: FakeClock
) -> None:
    folder.mkdir(parents=True)
    (folder / INDEX_FILE).write_bytes(b"this is no database " * 400)
    assert _views(folder, clock, "1") == {"1": 1}
    [aside] = _set_aside(folder)
    assert (aside / INDEX_FILE).read_bytes().startswith(b"this is no database")


def test_a_file_of_an_unknown_schema_is_moved_aside(folder: Path, clock: FakeClock) -> None:
    _views(folder, clock, "1")
    with contextlib.closing(sqlite3.connect(folder / INDEX_FILE)) as connection:
        connection.execute("PRAGMA user_version=99")
    assert _views(folder, clock, "2") == {"2": 1}
    assert len(_set_aside(folder)) == 1


def test_damage_found_while_open_never_raises_and_the_index_starts_again(
    folder: Path, clock: FakeClock
) -> None:
    index = SqliteIndex(folder, clock)
    try:
        index.viewed("ns", [str(n) for n in range(2000)], by_site=True)
        index.flush(force=True)
        index.close()  # its write-ahead log checkpointed into the file
        index = SqliteIndex(folder, clock)
        assert index.count("ns") == 2000
        with (folder / INDEX_FILE).open("r+b") as damaged:
            damaged.seek(4096)
            damaged.write(b"\xff" * 40_000)
        for _ in range(3):  # the first operations may meet the damage: none raises
            index.viewed("ns", ["after"], by_site=True)
            index.flush(force=True)
            index.rows("ns")
        assert "after" in index.rows("ns")
        assert len(_set_aside(folder)) == 1
    finally:
        index.close()


def test_a_file_another_worker_replaced_is_reopened(folder: Path, clock: FakeClock) -> None:
    mine = SqliteIndex(folder, clock)
    try:
        mine.viewed("ns", ["before"], by_site=True)
        mine.flush(force=True)
        shutil.move(folder, folder.with_name("index.corrupt-by-another"))  # as a rebuild does
        assert _views(folder, clock, "theirs") == {"theirs": 1}
        mine.viewed("ns", ["mine"], by_site=True)
        mine.flush(force=True)
        assert set(mine.rows("ns")) == {"theirs", "mine"}
    finally:
        mine.close()


def test_a_busy_file_is_reported_not_raised_as_anything_else(folder: Path) -> None:
    database = IndexDatabase(folder, busy_timeout=0.01)
    try:
        database.read(lambda connection: connection.execute("SELECT 1").fetchone())
        with contextlib.closing(sqlite3.connect(database.path, isolation_level=None)) as holder:
            holder.execute("BEGIN IMMEDIATE")
            with pytest.raises(IndexUnavailable, match="busy"):
                database.write(lambda connection: connection.execute("DELETE FROM spaces"))
            holder.execute("ROLLBACK")
        assert _set_aside(folder) == [], "busy is not damage"
    finally:
        database.close()
    with pytest.raises(IndexUnavailable, match="closed"):
        database.read(lambda connection: None)
