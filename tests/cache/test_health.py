"""What the dashboard says about the stores, in plain words."""

from __future__ import annotations

import errno
import sqlite3

import diskcache
import pytest

from affsite.cache import CacheHealth, StoreMode, describe_error


@pytest.mark.parametrize(
    ("error", "words"),
    [
        (OSError(errno.ENOSPC, "No space left on device"), "the disk is full"),
        (sqlite3.OperationalError("database or disk is full"), "the disk is full"),
        (PermissionError(errno.EACCES, "Permission denied"), "the cache folder is not writable"),
        (sqlite3.OperationalError("attempt to write a readonly database"), "not writable"),
        (sqlite3.DatabaseError("file is not a database"), "the cache database is corrupt"),
        (diskcache.Timeout(), "the cache database stayed busy too long"),
        (sqlite3.OperationalError("database is locked"), "stayed busy"),
        (NotADirectoryError(errno.ENOTDIR, "Not a directory", "/x/cache"), "a file is in the way"),
        (OSError(errno.EIO, "Input/output error", "/x/cache/ctl"), "input/output error"),
    ],
)
def test_storage_errors_in_plain_words(error: BaseException, words: str) -> None:
    assert words in describe_error(error)
    assert "/x" not in describe_error(error), "no path: the words may reach /healthz"


def test_a_healthy_cache_says_so() -> None:
    health = CacheHealth(modes={"data": StoreMode.DISK, "ctl": StoreMode.DISK})
    assert not health.degraded and health.limits_ok
    assert health.summary() == "Cache working normally."


def test_stopped_limits_lead_the_summary_and_clear_again() -> None:
    health = CacheHealth(modes={"data": StoreMode.DISK, "ctl": StoreMode.MEMORY})
    health.record("ctl", "the disk is full", write=True)
    health.set_limits("the cache folder /x cannot be written: the disk is full", "the disk is full")
    assert health.degraded and not health.limits_ok
    assert health.limits_cause == "the disk is full"
    assert health.summary().startswith("Gateway calls are stopped: the cache folder /x")

    health.set_mode("ctl", StoreMode.DISK)
    health.set_limits(None, "ignored")
    assert health.limits_ok and health.limits_cause is None
    assert "Gateway calls" not in health.summary()


def test_problems_are_kept_short_and_not_repeated() -> None:
    health = CacheHealth()
    for n in range(30):
        health.record("data", f"problem {n // 2}", write=False)
    assert health.read_errors == 30
    assert [p.message for p in health.problems] == [f"problem {n}" for n in range(5, 15)]
