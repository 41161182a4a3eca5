"""The instance folder's small shared SQLite files: owner-only, atomic, failing clearly."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from affsite.errors import AffsiteError
from affsite.web.private_db import AuthStoreError, PrivateDatabase

SCHEMA = "CREATE TABLE IF NOT EXISTS t (n INTEGER NOT NULL);"


def count(db: PrivateDatabase) -> int:
    with db.connect() as conn:
        (n,) = conn.execute("SELECT COUNT(*) FROM t").fetchone()
    return int(n)


def test_the_file_is_created_owner_only_whatever_the_umask(tmp_path: Path) -> None:
    previous = os.umask(0)
    try:
        db = PrivateDatabase(tmp_path / "x.sqlite3", SCHEMA)
        with db.transaction() as conn:
            conn.execute("INSERT INTO t (n) VALUES (1)")
    finally:
        os.umask(previous)
    assert stat.S_IMODE(db.path.stat().st_mode) == 0o600
    assert count(db) == 1


def test_a_failed_transaction_leaves_nothing_behind(tmp_path: Path) -> None:
    db = PrivateDatabase(tmp_path / "x.sqlite3", SCHEMA)
    with pytest.raises(RuntimeError), db.transaction() as conn:
        conn.execute("INSERT INTO t (n) VALUES (1)")
        raise RuntimeError("stopped half way")
    assert count(db) == 0


def test_a_damaged_file_is_an_auth_store_error_with_a_fix(tmp_path: Path) -> None:
    path = tmp_path / "x.sqlite3"
    path.write_bytes(b"this is not a database" * 100)
    with pytest.raises(AuthStoreError) as failed, PrivateDatabase(path, SCHEMA).connect():
        pass
    assert isinstance(failed.value, AffsiteError)
    assert "x.sqlite3" in str(failed.value)
    assert "writable" in failed.value.fix


def test_a_missing_folder_is_an_auth_store_error(tmp_path: Path) -> None:
    with (
        pytest.raises(AuthStoreError),
        PrivateDatabase(tmp_path / "gone" / "x.sqlite3", SCHEMA).transaction(),
    ):
        pass
