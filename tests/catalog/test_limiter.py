"""Shared limits: quota per Beijing day, speed limiter, ban, circuit breaker, fetch locks."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from affsite.aliexpress.errors import ApiCallLimit, GatewayUnavailable, InvalidAppKey
from affsite.cache import CacheStores, open_stores
from affsite.catalog_stats import EventLog
from affsite.clock import FakeClock
from affsite.limiter import (
    AttemptPolicy,
    Banned,
    BanState,
    CircuitBreaker,
    CredentialsRefused,
    DailyQuota,
    FetchLocks,
    Gate,
    GatewayDown,
    QuotaExhausted,
    RateLimited,
    RateLimiter,
    beijing_day,
    next_reset,
)
from affsite.settings import Settings

VIEW = AttemptPolicy(uses_reserve=False, max_rate_wait=2.0)
ADMIN = AttemptPolicy(uses_reserve=True, max_rate_wait=2.0)


def utc(year: int, month: int, day: int, hour: int = 0, minute: int = 0, second: int = 0) -> float:
    return datetime(year, month, day, hour, minute, second, tzinfo=UTC).timestamp()


@pytest.fixture
def stores(tmp_path: Path) -> Iterator[CacheStores]:
    opened = open_stores(tmp_path / "cache")
    yield opened
    opened.close()


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


def test_admin_reserve_is_kept_for_admin_actions(stores: CacheStores, clock: FakeClock) -> None:
    gate = Gate(stores.ctl, clock, clock.sleep, events=EventLog(stores.ctl))
    settings = Settings(daily_quota=5, admin_reserve=2, rate_limit=100)
    for _ in range(3):
        gate.before_attempt(settings, VIEW, "page")
    with pytest.raises(QuotaExhausted):
        gate.before_attempt(settings, VIEW, "page")
    gate.before_attempt(settings, ADMIN, "admin")
    gate.before_attempt(settings, ADMIN, "admin")
    with pytest.raises(QuotaExhausted):
        gate.before_attempt(settings, ADMIN, "admin")
    status = gate.quota.status(settings.daily_quota, settings.admin_reserve)
    assert (status.used, status.left, status.view_left) == (5, 0, 0)


def test_speed_limiter_spaces_calls_and_refuses_long_waits(
    stores: CacheStores, clock: FakeClock
) -> None:
    start = clock()
    limiter = RateLimiter(stores.ctl, clock, clock.sleep)
    waits = [limiter.acquire(2.0, max_wait=10) for _ in range(5)]
    # A burst of 2, then one slot every 0.5 s.
    assert waits[:2] == [0.0, 0.0]
    assert clock() - start == pytest.approx(1.5)
    other = RateLimiter(stores.ctl, clock, lambda s: None)  # another process, same bucket
    other.acquire(2.0, max_wait=10)  # reserves the next slot without waiting here
    with pytest.raises(RateLimited):
        other.acquire(2.0, max_wait=0.1)


def test_a_new_process_does_not_refill_the_bucket(tmp_path: Path, clock: FakeClock) -> None:
    first = open_stores(tmp_path / "cache")
    RateLimiter(first.ctl, clock, clock.sleep).acquire(1.0, max_wait=0)
    second = open_stores(tmp_path / "cache")  # a worker restart
    with pytest.raises(RateLimited):
        RateLimiter(second.ctl, clock, clock.sleep).acquire(1.0, max_wait=0)
    first.close()
    second.close()


def test_a_ban_stops_every_process_until_it_ends(tmp_path: Path, clock: FakeClock) -> None:
    first, second = open_stores(tmp_path / "cache"), open_stores(tmp_path / "cache")
    BanState(first.ctl, clock).ban(30, "this ban will last 30 seconds")
    with pytest.raises(Banned) as refused:
        BanState(second.ctl, clock).check()
    assert refused.value.reason == "banned"
    clock.advance(31)
    BanState(second.ctl, clock).check()
    first.close()
    second.close()


def test_a_ban_lasts_as_announced_even_when_the_clock_goes_back(
    stores: CacheStores, clock: FakeClock
) -> None:
    bans = BanState(stores.ctl, clock)
    bans.ban(30, "this ban will last 30 seconds")
    clock.advance(-86_400)  # the machine's clock is corrected by a day
    with pytest.raises(Banned):
        bans.check()
    clock.advance(31)
    bans.check()  # over after its 30 s, not after a day


def test_a_clock_set_back_does_not_stretch_an_open_breaker(
    stores: CacheStores, clock: FakeClock
) -> None:
    breaker = CircuitBreaker(stores.ctl, clock, threshold=1, reset_timeout=60)
    breaker.record_failure("GatewayUnavailable")
    with pytest.raises(GatewayDown):
        breaker.check("creds", "w1")
    clock.advance(-86_400)
    breaker.check("creds", "w1")  # the probe is due now, not in a day


def test_breaker_opens_after_k_failures_and_lets_exactly_one_probe_through(
    stores: CacheStores, clock: FakeClock
) -> None:
    breaker = CircuitBreaker(stores.ctl, clock, threshold=3, reset_timeout=60)
    for _ in range(2):
        breaker.record_failure("GatewayUnavailable")
        breaker.check("creds", "w1")  # still closed
    assert breaker.record_failure("GatewayUnavailable") is True
    with pytest.raises(GatewayDown):
        breaker.check("creds", "w1")
    assert breaker.status().state == "open"

    clock.advance(61)
    breaker.check("creds", "w1")  # w1 is the probe
    with pytest.raises(GatewayDown):
        breaker.check("creds", "w2")  # everyone else waits for it
    breaker.record_failure("GatewayUnavailable")  # probe failed: open again, for longer
    clock.advance(61)
    with pytest.raises(GatewayDown):
        breaker.check("creds", "w2")
    clock.advance(60)
    breaker.check("creds", "w2")
    breaker.record_success()
    assert breaker.status().state == "closed"
    breaker.check("creds", "w3")


def test_rejected_credentials_pause_calls_until_the_settings_change(
    stores: CacheStores, clock: FakeClock
) -> None:
    events = EventLog(stores.ctl)
    gate = Gate(stores.ctl, clock, clock.sleep, events=events)
    wrong = Settings(app_key="123", app_secret="wrong", rate_limit=100)
    gate.after_attempt(wrong, "m", InvalidAppKey("AliExpress error InvalidAppKey"))
    with pytest.raises(CredentialsRefused):
        gate.before_attempt(wrong, VIEW, "w")
    clock.advance(10 * 86_400)  # time alone does not help
    with pytest.raises(CredentialsRefused):
        gate.before_attempt(wrong, VIEW, "w")
    fixed = Settings(app_key="123", app_secret="right", rate_limit=100)
    gate.before_attempt(fixed, VIEW, "w")
    assert events.errors()[0]["kind"] == "InvalidAppKey"
    assert "App Key" in events.errors()[0]["fix"]


def test_gateway_ban_reported_by_an_attempt_is_shared(
    stores: CacheStores, clock: FakeClock
) -> None:
    gate = Gate(stores.ctl, clock, clock.sleep, events=EventLog(stores.ctl))
    settings = Settings(rate_limit=100)
    gate.after_attempt(settings, "m", ApiCallLimit(120))
    with pytest.raises(Banned):
        gate.before_attempt(settings, VIEW, "w")
    assert gate.quota.used() == 0  # refused attempts cost no quota
    clock.advance(121)
    gate.before_attempt(settings, VIEW, "w")
    assert gate.quota.used() == 1


def test_gate_opens_the_breaker_after_repeated_gateway_failures(
    stores: CacheStores, clock: FakeClock
) -> None:
    gate = Gate(stores.ctl, clock, clock.sleep, events=EventLog(stores.ctl), breaker_threshold=2)
    settings = Settings(rate_limit=100)
    for _ in range(2):
        gate.before_attempt(settings, VIEW, "w")
        gate.after_attempt(settings, "m", GatewayUnavailable("AliExpress answered HTTP 502"))
    with pytest.raises(GatewayDown) as refused:
        gate.before_attempt(settings, VIEW, "w")
    assert refused.value.reason == "gateway_down"


def test_fetch_locks_are_taken_together_and_taken_over_after_expiry(
    stores: CacheStores, clock: FakeClock
) -> None:
    locks = FetchLocks(stores.ctl, clock, ttl=30)
    assert locks.acquire(["a", "b"], "w1") == ["a", "b"]
    assert locks.acquire(["b", "c"], "w2") == ["c"]
    assert locks.acquire(["d", "e", "f"], "w2", limit=2) == ["d", "e"]
    locks.release(["a"], "w2")  # not the owner: nothing happens
    assert locks.held("a")
    locks.release(["a"], "w1")
    assert not locks.held("a")
    clock.advance(31)  # w1 died holding "b"
    assert locks.acquire(["b"], "w3") == ["b"]
