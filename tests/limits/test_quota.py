"""The daily quota counts every attempt per Beijing day, shared by every process."""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime
from pathlib import Path

import pytest

from affsite.cache import (
    CacheHealth,
    CacheStores,
    DiskStore,
    StoreSite,
    open_control_cache,
    open_stores,
)
from affsite.clock import FakeClock
from affsite.limits import (
    DailyQuota,
    LimitsUnavailable,
    NewProductAllowance,
    QuotaExhausted,
    beijing_day,
    next_reset,
)


def utc(year: int, month: int, day: int, hour: int = 0, minute: int = 0, second: int = 0) -> float:
    return datetime(year, month, day, hour, minute, second, tzinfo=UTC).timestamp()


def test_quota_day_is_the_beijing_date() -> None:
    assert beijing_day(utc(2024, 6, 1, 15, 59, 59)) == "2024-06-01"
    assert beijing_day(utc(2024, 6, 1, 16, 0, 0)) == "2024-06-02"
    assert next_reset(utc(2024, 6, 1, 15, 59, 59)) == utc(2024, 6, 1, 16, 0, 0)
    assert next_reset(utc(2024, 6, 1, 16, 0, 0)) == utc(2024, 6, 2, 16, 0, 0)


def test_quota_refuses_above_the_limit_and_rolls_over_at_beijing_midnight(
    stores: CacheStores,
) -> None:
    clock = FakeClock(utc(2024, 6, 1, 15, 59, 58))
    quota = DailyQuota(stores.ctl, clock)
    assert [quota.charge(3) for _ in range(3)] == [1, 2, 3]
    with pytest.raises(QuotaExhausted) as refused:
        quota.charge(3)
    assert refused.value.reason == "quota_exhausted"
    assert refused.value.until == utc(2024, 6, 1, 16, 0, 0)
    assert quota.used() == 3

    clock.advance(3)  # 16:00:01 UTC = 00:00:01 in Beijing: a new quota day
    assert quota.used() == 0
    assert quota.charge(3) == 1


def test_two_processes_share_one_quota_counter(tmp_path: Path, clock: FakeClock) -> None:
    first, second = open_stores(tmp_path / "cache"), open_stores(tmp_path / "cache")
    try:
        a, b = DailyQuota(first.ctl, clock), DailyQuota(second.ctl, clock)
        a.charge(2)
        b.charge(2)
        with pytest.raises(QuotaExhausted):
            a.charge(2)
    finally:
        first.close()
        second.close()


def test_a_count_that_cannot_be_written_refuses_the_call(tmp_path: Path, clock: FakeClock) -> None:
    store = DiskStore(
        StoreSite(
            name="ctl", path=tmp_path / "ctl", opener=open_control_cache, health=CacheHealth()
        )
    )

    def full(*args: object, **kwargs: object) -> object:
        raise sqlite3.OperationalError("database or disk is full")

    store._cache.transact = full
    quota = DailyQuota(store, clock)
    with pytest.raises(LimitsUnavailable) as refused:
        quota.charge(100)
    assert refused.value.reason == "limits_unavailable"
    assert NewProductAllowance(store, clock).take(5, 10) == 0, "no allowance without a count"
    store.close()


def test_new_product_allowance_is_shared_and_daily(stores: CacheStores, clock: FakeClock) -> None:
    allowance = NewProductAllowance(stores.ctl, clock)
    assert allowance.take(3, 4) == 3
    assert allowance.take(3, 4) == 1
    assert allowance.take(1, 4) == 0
    assert allowance.used() == 4
    clock.advance(86_400)
    assert allowance.take(1, 4) == 1
