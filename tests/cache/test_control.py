"""The control store: shared on disk, or (while the disk fails) this process's own, and then it
says so, so that the limits kept in it stop gateway calls instead of holding per worker.
"""

from __future__ import annotations

import errno
import sqlite3
from pathlib import Path

import diskcache
import pytest

from affsite.cache import (
    RECOVERY_INTERVAL,
    CacheHealth,
    ControlStore,
    DiskStore,
    StoreSite,
    open_control_cache,
    open_stores,
)
from affsite.clock import FakeClock

FAILURES = [sqlite3.OperationalError("database or disk is full"), OSError(errno.ENOSPC, "full")]
FAILURE_IDS = ["sqlite-full", "enospc"]


def refusing(failure: BaseException) -> object:
    def refuse(*args: object, **kwargs: object) -> None:
        raise failure

    return refuse


def test_control_store_continues_in_memory_when_the_disk_refuses_writes(
    cache_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    stores = open_stores(cache_dir)
    ctl = stores.ctl
    assert isinstance(ctl, ControlStore)
    ctl.set("quota:today", 7)

    monkeypatch.setattr(diskcache.Cache, "transact", refusing(sqlite3.OperationalError("full")))
    monkeypatch.setattr(diskcache.Cache, "set", refusing(sqlite3.OperationalError("full")))
    # The count read from disk carries on in memory.
    assert ctl.atomic(lambda tx: tx.get("quota:today") + 1) == 8
    ctl.atomic(lambda tx: tx.set("quota:today", 8))
    assert ctl.get("quota:today") == 8
    assert stores.health.modes["ctl"] == "memory"
    assert ctl.add("lock", "me") and not ctl.add("lock", "other")
    stores.close()


@pytest.mark.parametrize("failure", FAILURES, ids=FAILURE_IDS)
def test_a_failed_write_makes_the_store_say_it_is_not_shared(
    cache_dir: Path, monkeypatch: pytest.MonkeyPatch, clock: FakeClock, failure: BaseException
) -> None:
    stores = open_stores(cache_dir, clock=clock)
    ctl = stores.ctl
    assert ctl.not_shared_reason() is None and stores.health.limits_ok

    with monkeypatch.context() as broken:
        broken.setattr(diskcache.Cache, "transact", refusing(failure))
        ctl.set("quota:today", 1)
        reason = ctl.not_shared_reason()
        assert reason == (
            f"the cache folder {cache_dir} cannot be written: the disk is full; "
            "free disk space or fix permissions"
        )
        assert stores.health.limits_problem == reason
        assert stores.health.limits_cause == "the disk is full"
        assert stores.check_limits() == reason
        clock.advance(RECOVERY_INTERVAL)
        assert ctl.not_shared_reason() == reason, "the probe write still fails"

    assert ctl.not_shared_reason() == reason, "no new try before the interval"
    clock.advance(RECOVERY_INTERVAL)
    assert stores.check_limits() is None
    assert ctl.not_shared_reason() is None and stores.health.limits_ok
    assert stores.health.modes["ctl"] == "disk"
    ctl.set("after", 2)
    other = open_stores(cache_dir)  # another worker sees what is written now
    assert other.ctl.get("after") == 2
    other.close()
    stores.close()


def test_a_control_store_that_cannot_be_opened_opens_later(
    cache_dir: Path, clock: FakeClock
) -> None:
    disk_full = True

    def opener(path: Path) -> diskcache.Cache:
        if disk_full:
            raise sqlite3.OperationalError("database or disk is full")
        return open_control_cache(path)

    health = CacheHealth()
    ctl = ControlStore(
        StoreSite(name="ctl", path=cache_dir / "ctl", opener=opener, health=health, clock=clock)
    )
    assert ctl.not_shared_reason() is not None
    assert health.modes["ctl"] == "memory" and not health.limits_ok
    assert ctl.add("lock", "me") and not ctl.add("lock", "other")  # locks work per process
    assert ctl.volume() == 0

    disk_full = False
    assert ctl.not_shared_reason() is not None, "tried again only after the interval"
    clock.advance(RECOVERY_INTERVAL)
    assert ctl.not_shared_reason() is None
    assert health.modes["ctl"] == "disk" and health.limits_ok
    assert ctl.get("lock") is None, "memory state is not carried to the disk"
    ctl.close()


def test_a_failed_read_of_a_limit_is_not_taken_for_no_limit(
    cache_dir: Path, clock: FakeClock
) -> None:
    stores = open_stores(cache_dir, clock=clock)
    store = stores.ctl
    assert isinstance(store, ControlStore)
    disk: DiskStore = store._disk  # type: ignore[assignment]

    class Unreadable:
        def get(self, *args: object, **kwargs: object) -> None:
            raise sqlite3.OperationalError("disk I/O error")

        def close(self) -> None:
            return None

    real = disk._cache
    disk._cache = Unreadable()
    assert store.get("ban") is None
    assert store.not_shared_reason() is not None
    disk._cache = real
    stores.close()


def test_corrupt_pages_found_while_running_are_misses_then_rebuilt(
    cache_dir: Path, clock: FakeClock
) -> None:
    health_stores = open_stores(cache_dir, clock=clock)
    store = health_stores.ctl
    assert isinstance(store, ControlStore)
    disk: DiskStore = store._disk  # type: ignore[assignment]

    class Corrupt:
        def get(self, *args: object, **kwargs: object) -> None:
            raise sqlite3.DatabaseError("database disk image is malformed")

        def close(self) -> None:
            return None

    disk._cache = Corrupt()
    assert store.get("anything", "default") == "default"
    assert health_stores.health.quarantined, "a corrupt store is moved aside"
    assert store.set("after", 1) and store.get("after") == 1
    clock.advance(RECOVERY_INTERVAL)
    assert store.not_shared_reason() is None, "the rebuilt database takes over"
    assert store.set("after", 2) and disk.get("after") == 2
    health_stores.close()
