"""The SQLite product index: shared by worker processes, moving in the old JSON index, never
raising when the file is busy, readable after a worker is killed in the middle of a write."""

from __future__ import annotations

import contextlib
import signal
import sqlite3
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path

import pytest

from affsite.cache import MemoryStore
from affsite.catalog.entries import Entry
from affsite.catalog.index_sqlite import SqliteIndex
from affsite.catalog.index_store import index_key
from affsite.clock import FakeClock
from affsite.settings import Settings

SETTINGS = Settings(cache_ttl=1000, stale_ttl=500)


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    return tmp_path / "cache" / "index"


@pytest.fixture
def index(folder: Path, clock: FakeClock) -> Iterator[SqliteIndex]:
    made = SqliteIndex(folder, clock)
    yield made
    made.close()


def test_another_workers_flushed_views_are_known_at_once(
    folder: Path, index: SqliteIndex, clock: FakeClock
) -> None:
    other = SqliteIndex(folder, clock)
    try:
        assert index.for_site("ns", ["1"], since=0) == set()
        other.viewed("ns", ["1"], by_site=True)
        other.flush(force=True)
        assert index.for_site("ns", ["1"], since=0) == {"1"}
        assert index.rows("ns")["1"].total_views == 1
    finally:
        other.close()


def test_the_json_index_of_an_earlier_version_is_moved_in_once(
    folder: Path, clock: FakeClock
) -> None:
    ctl = MemoryStore(clock=clock)
    old = [clock() + 100, clock() + 200, 3, 7, clock() - 50, 0, clock() - 900]
    ctl.set(index_key("ns"), {"1": old, "2": "not a row"})
    index = SqliteIndex(folder, clock, legacy=ctl)
    try:
        index.viewed("ns", ["1", "3"], by_site=True)
        index.flush(force=True)
        rows = index.rows("ns")
        assert set(rows) == {"1", "3"}
        assert (rows["1"].views, rows["1"].total_views) == (4, 8)
        assert rows["1"].fresh_until == clock() + 100
        assert ctl.get(index_key("ns")) is None, "moved, not kept twice"
        ctl.set(index_key("ns"), {"9": old})  # written by a worker not yet upgraded
        assert set(SqliteIndex(folder, clock, legacy=ctl).rows("ns")) == {"1", "3"}
    finally:
        index.close()


def test_views_wait_in_memory_while_another_process_holds_the_write_lock(
    folder: Path, clock: FakeClock
) -> None:
    index = SqliteIndex(folder, clock, busy_timeout=0.05)
    try:
        window = {"active_since": 0.0, "site_since": 0.0, "bucket": 20.0}
        index.viewed("ns", ["1"], by_site=True)
        index.flush(force=True)
        assert index.top_up("ns", exclude=(), now=clock(), limit=5, **window) == ["1"]
        with contextlib.closing(sqlite3.connect(index.path, isolation_level=None)) as holder:
            holder.execute("BEGIN IMMEDIATE")
            index.viewed("ns", ["1", "2"], by_site=True)
            index.flush(force=True)  # busy: nothing raised, nothing lost
            entry = Entry.make({"id": "x"}, now=clock(), settings=SETTINGS, factor=1.0)
            index.fetched("ns", {"3": entry})  # a hint lost, nothing raised
            # Readers never wait for the writer: what was written before is still chosen.
            assert index.top_up("ns", exclude=(), now=clock(), limit=5, **window) == ["1"]
            assert [row.product_id for row in index.due("ns", before=1e12, **window)] == ["1"]
            holder.execute("ROLLBACK")
        index.flush(force=True)
        rows = index.rows("ns")
        assert (rows["1"].total_views, rows["2"].total_views) == (2, 1)
        assert "3" not in rows
    finally:
        index.close()


def test_files_are_owner_only(folder: Path, index: SqliteIndex) -> None:
    index.viewed("ns", ["1"], by_site=True)
    index.flush(force=True)
    assert folder.stat().st_mode & 0o777 == 0o700
    written = [path for path in folder.iterdir() if path.name.startswith("index.sqlite3")]
    assert {path.name for path in written} >= {"index.sqlite3", "index.sqlite3-wal"}
    assert all(path.stat().st_mode & 0o777 == 0o600 for path in written)


_WRITER = textwrap.dedent(
    """
    import sys, time
    from pathlib import Path
    from affsite.catalog.index_sqlite import SqliteIndex
    from affsite.clock import FakeClock

    folder, name, rounds = Path(sys.argv[1]), sys.argv[2], int(sys.argv[3])
    clock = FakeClock()
    index = SqliteIndex(folder, clock, busy_timeout=30.0)
    deadline = time.monotonic() + 60  # bounded by time as well as by count
    for round_ in range(rounds):
        ids = [f"{n}" for n in range(200)] + [f"{name}-{round_ % 50}"]
        index.viewed("ns", ids, by_site=True)
        index.flush(force=True)
        print("flushed", flush=True)
        if time.monotonic() > deadline:
            break
    index.close()
    """
)


def _writer(folder: Path, name: str, rounds: int) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-c", _WRITER, str(folder), name, str(rounds)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


@pytest.mark.slow
def test_two_processes_add_up_their_views(folder: Path, clock: FakeClock) -> None:
    rounds = 30
    writers = [_writer(folder, name, rounds) for name in ("a", "b")]
    for writer in writers:
        _, errors = writer.communicate(timeout=90)
        assert writer.returncode == 0, errors
    index = SqliteIndex(folder, clock)
    try:
        rows = index.rows("ns")
        assert {rows[str(n)].total_views for n in range(200)} == {2 * rounds}
        assert sum(rows[f"a-{n}"].total_views for n in range(30)) == rounds
        assert index.count("ns") == 200 + 2 * 30
    finally:
        index.close()


@pytest.mark.slow
def test_a_worker_killed_in_the_middle_of_writes_leaves_a_readable_index(
    folder: Path, clock: FakeClock
) -> None:
    writer = _writer(folder, "killed", 100_000)
    try:
        assert writer.stdout is not None
        for _ in range(20):  # let it commit a few batches, then kill it in its loop
            assert writer.stdout.readline().strip() == "flushed"
        writer.send_signal(signal.SIGKILL)  # it is writing the next batch by now
        writer.communicate(timeout=30)
    finally:
        if writer.poll() is None:
            writer.kill()
    assert writer.returncode == -signal.SIGKILL
    index = SqliteIndex(folder, clock)
    try:
        rows = index.rows("ns")
        flushed = rows["0"].total_views
        assert flushed >= 20
        assert all(rows[str(n)].total_views == flushed for n in range(200)), "all or nothing"
        index.viewed("ns", ["0"], by_site=True)
        index.flush(force=True)
        assert index.rows("ns")["0"].total_views == flushed + 1
        with contextlib.closing(sqlite3.connect(index.path)) as connection:
            assert connection.execute("PRAGMA integrity_check").fetchone() == ("ok",)
    finally:
        index.close()
