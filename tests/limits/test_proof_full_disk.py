"""On a real full disk (a small tmpfs), the daily quota still holds across workers and restarts
(issue 8, row 9: the audit's workers made 37 calls on a quota of 20, and 72 after a restart).

Needs root to mount a tmpfs; skipped otherwise (hardening.md 2.5, "Disk full" (b)).
"""

from __future__ import annotations

import contextlib
import errno
import os
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from affsite.cache import RECOVERY_INTERVAL, CacheStores, open_stores
from affsite.clock import FakeClock
from affsite.limits import AttemptPolicy, CallRefused, DailyQuota, Gate, LimitsUnavailable
from affsite.settings import Settings

VIEW = AttemptPolicy(uses_reserve=False, max_rate_wait=0.0)
QUOTA = 20
SETTINGS = Settings(daily_quota=QUOTA, admin_reserve=0, rate_limit=0)


class Events:
    def error(self, method: str, error: object, at: float) -> None:
        return None


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[Path]:
    mount = tmp_path / "disk"
    mount.mkdir()
    if os.geteuid() != 0:
        pytest.skip("mounting a tmpfs needs root")
    done = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=2m", "tmpfs", str(mount)],
        capture_output=True,
        timeout=30,
        check=False,
    )
    if done.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {done.stderr.decode(errors='replace')}")
    try:
        yield mount
    finally:
        subprocess.run(["umount", "-l", str(mount)], capture_output=True, timeout=30, check=False)


def fill(disk: Path) -> Path:
    """Fill ``disk`` to the last byte with one file; return it (delete it to free the disk)."""
    filler = disk / "filler"
    with contextlib.suppress(OSError), filler.open("wb", buffering=0) as handle:
        for _ in range(10_000):  # bounded: 10,000 x 4 KiB is far more than the disk
            handle.write(b"\0" * 4096)
    probe = disk / "probe"
    with pytest.raises(OSError) as full:
        probe.write_bytes(b"\0" * 4096)
    assert full.value.errno == errno.ENOSPC
    probe.unlink(missing_ok=True)
    return filler


def attempts(stores: CacheStores, clock: FakeClock, tries: int) -> tuple[int, set[type]]:
    gate = Gate(stores.ctl, clock, clock.sleep, events=Events())
    passed, refused = 0, set()
    for _ in range(tries):
        try:
            gate.before_attempt(SETTINGS, VIEW, "worker")
        except CallRefused as refusal:
            refused.add(type(refusal))
        else:
            passed += 1
    return passed, refused


def test_full_disk_at_start_means_no_calls_until_there_is_room(
    small_disk: Path, clock: FakeClock
) -> None:
    filler = fill(small_disk)
    workers = [open_stores(small_disk / "cache", clock=clock) for _ in range(2)]
    for stores in workers:
        assert attempts(stores, clock, 30) == (0, {LimitsUnavailable})
        assert stores.health.limits_cause == "the disk is full"

    filler.unlink()
    clock.advance(RECOVERY_INTERVAL)
    passed = sum(attempts(stores, clock, 15)[0] for stores in workers)
    assert passed == QUOTA
    for stores in workers:
        assert stores.health.limits_ok
        stores.close()


def test_a_disk_filling_up_never_lets_more_calls_through_than_the_quota(
    small_disk: Path, clock: FakeClock
) -> None:
    workers = [open_stores(small_disk / "cache", clock=clock) for _ in range(2)]
    passed = sum(attempts(stores, clock, 3)[0] for stores in workers)
    assert passed == 6
    fill(small_disk)
    # Whatever SQLite can still write in the room it holds counts for every worker; whatever
    # it cannot, stops the calls. Either way the quota holds.
    for _ in range(3):
        for stores in workers:
            passed += attempts(stores, clock, 10)[0]
        clock.advance(RECOVERY_INTERVAL)
    for stores in workers:
        stores.close()
    restarted = [open_stores(small_disk / "cache", clock=clock) for _ in range(2)]
    passed += sum(attempts(stores, clock, 10)[0] for stores in restarted)
    assert passed <= QUOTA
    for stores in restarted:
        if stores.health.limits_ok:
            assert DailyQuota(stores.ctl, clock).used() == passed
        stores.close()
