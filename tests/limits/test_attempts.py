"""The attempt gate: every shared limit in a fixed order around each gateway attempt, and no
attempt at all while the limits cannot be shared between workers (issue 8, row 9).
"""

from __future__ import annotations

import errno
import sqlite3
from pathlib import Path

import diskcache
import pytest

from affsite.aliexpress.errors import ApiCallLimit, ApiError, GatewayUnavailable, InvalidAppKey
from affsite.cache import (
    RECOVERY_INTERVAL,
    CacheStores,
    MemoryStore,
    open_control_cache,
    open_stores,
)
from affsite.clock import FakeClock
from affsite.limits import (
    AttemptPolicy,
    Banned,
    CallRefused,
    CredentialsRefused,
    Gate,
    GatewayDown,
    LimitsUnavailable,
    QuotaExhausted,
)
from affsite.settings import Settings

VIEW = AttemptPolicy(uses_reserve=False, max_rate_wait=2.0)
ADMIN = AttemptPolicy(uses_reserve=True, max_rate_wait=2.0)
FAILURES = [
    sqlite3.OperationalError("database or disk is full"),
    OSError(errno.ENOSPC, "No space left on device"),
]
FAILURE_IDS = ["sqlite-full", "enospc"]


class Events:
    """The gate's error log, kept in a list."""

    def __init__(self) -> None:
        self.logged: list[tuple[str, ApiError, float]] = []

    def error(self, method: str, error: ApiError, at: float) -> None:
        self.logged.append((method, error, at))


def gate_for(stores: CacheStores, clock: FakeClock, **options: int) -> Gate:
    return Gate(stores.ctl, clock, clock.sleep, events=Events(), **options)


def attempts_through(gate: Gate, settings: Settings, tries: int) -> tuple[int, list[CallRefused]]:
    """Ask the gate ``tries`` times; how many attempts it let through, and its refusals."""
    passed, refusals = 0, []
    for _ in range(tries):
        try:
            gate.before_attempt(settings, VIEW, "worker")
        except CallRefused as refused:
            refusals.append(refused)
        else:
            passed += 1
    return passed, refusals


def test_admin_reserve_is_kept_for_admin_actions(stores: CacheStores, clock: FakeClock) -> None:
    gate = gate_for(stores, clock)
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


def test_rejected_credentials_pause_calls_until_the_settings_change(
    stores: CacheStores, clock: FakeClock
) -> None:
    events = Events()
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
    [(method, error, _)] = events.logged
    assert (method, type(error)) == ("m", InvalidAppKey)
    assert error.fix and "App Key" in error.fix


def test_gateway_ban_reported_by_an_attempt_is_shared(
    stores: CacheStores, clock: FakeClock
) -> None:
    gate = gate_for(stores, clock)
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
    gate = gate_for(stores, clock, breaker_threshold=2)
    settings = Settings(rate_limit=100)
    for _ in range(2):
        gate.before_attempt(settings, VIEW, "w")
        gate.after_attempt(settings, "m", GatewayUnavailable("AliExpress answered HTTP 502"))
    with pytest.raises(GatewayDown) as refused:
        gate.before_attempt(settings, VIEW, "w")
    assert refused.value.reason == "gateway_down"


def test_refuses_now_says_what_an_attempt_would_meet_without_spending_anything(
    stores: CacheStores, clock: FakeClock
) -> None:
    gate = gate_for(stores, clock, breaker_threshold=1, breaker_reset=60)
    settings = Settings(daily_quota=3, admin_reserve=1, rate_limit=100)
    assert not gate.refuses_now(settings)
    gate.after_attempt(settings, "m", GatewayUnavailable("AliExpress answered HTTP 502"))
    assert gate.refuses_now(settings)  # the breaker is open
    clock.advance(61)
    assert not gate.refuses_now(settings)  # half open: the probe may go
    gate.before_attempt(settings, VIEW, "w")  # ... and it does: the asking took nothing
    gate.after_attempt(settings, "m", None)
    gate.after_attempt(settings, "m", ApiCallLimit(30))
    assert gate.refuses_now(settings)  # banned
    clock.advance(31)
    assert not gate.refuses_now(settings)
    gate.before_attempt(settings, VIEW, "w")
    assert gate.refuses_now(settings)  # the quota pages may use is spent (one is kept)
    assert gate.quota.used() == 2


def test_hooks_bind_the_settings_and_the_policy(stores: CacheStores, clock: FakeClock) -> None:
    gate = gate_for(stores, clock)
    settings = Settings(daily_quota=3, admin_reserve=1, rate_limit=100)
    before, after = gate.hooks(settings, VIEW, "w")
    before("m")
    before("m")
    with pytest.raises(QuotaExhausted):
        before("m")  # the view policy leaves the reserve alone
    after("m", None)
    assert gate.quota.used() == 2


def test_each_attempt_keeps_the_limits_in_force_then(stores: CacheStores, clock: FakeClock) -> None:
    """A client outlives a settings save (a renewal's batches, a cron refresh): a quota lowered
    meanwhile stops its next attempt."""
    gate = gate_for(stores, clock)
    in_force = [Settings(daily_quota=100, admin_reserve=0, rate_limit=100)]
    before, _ = gate.hooks(in_force[0], VIEW, "w", limits=lambda: in_force[0])
    before("m")
    in_force[0] = Settings(daily_quota=1, admin_reserve=0, rate_limit=100)
    with pytest.raises(QuotaExhausted):
        before("m")
    assert gate.quota.used() == 1


# --- the limits cannot be shared: no attempt at all (issue 8, row 9) --------------------------


def test_one_process_on_purpose_keeps_its_limits_in_memory(clock: FakeClock) -> None:
    """A ``MemoryStore`` chosen as the control store is that process's whole truth."""
    gate = Gate(MemoryStore("ctl", clock=clock), clock, clock.sleep, events=Events())
    passed, refusals = attempts_through(
        gate, Settings(daily_quota=3, admin_reserve=0, rate_limit=100), 5
    )
    assert passed == 3 and {type(r) for r in refusals} == {QuotaExhausted}


@pytest.mark.parametrize("failure", FAILURES, ids=FAILURE_IDS)
def test_a_control_store_that_cannot_be_opened_lets_no_attempt_through_until_it_can(
    cache_dir: Path, clock: FakeClock, failure: BaseException
) -> None:
    """The audit: full disk at start, quota 20, two workers made 37 calls (72 after restart)."""
    disk_full = True

    def opener(path: Path) -> diskcache.Cache:
        if disk_full:
            raise failure
        return open_control_cache(path)

    settings = Settings(daily_quota=20, admin_reserve=0, rate_limit=1000)
    workers = [open_stores(cache_dir, control_opener=opener, clock=clock) for _ in range(2)]
    gates = [gate_for(stores, clock) for stores in workers]
    for gate in gates:
        passed, refusals = attempts_through(gate, settings, 30)
        assert passed == 0
        assert {type(r) for r in refusals} == {LimitsUnavailable}
    refused = refusals[0]
    assert refused.reason == "limits_unavailable"
    assert str(cache_dir) in refused.message and "the disk is full" in refused.message
    assert refused.fix and "free disk space" in refused.fix.lower()
    for stores in workers:
        assert not stores.health.limits_ok
        assert stores.health.limits_cause == "the disk is full"
        assert stores.health.limits_problem == refused.message
        assert "Gateway calls are stopped" in stores.health.summary()

    disk_full = False
    clock.advance(RECOVERY_INTERVAL - 1)
    assert attempts_through(gates[0], settings, 1)[0] == 0, "not tried again yet"
    clock.advance(1)
    resumed = [attempts_through(gate, settings, 15)[0] for gate in gates]
    assert sum(resumed) == 20, "calls resume, under one quota shared by both workers"
    for stores in workers:
        assert stores.health.limits_ok and stores.check_limits() is None
        stores.close()
    restarted = open_stores(cache_dir, clock=clock)  # the workers restart: the count stays
    assert attempts_through(gate_for(restarted, clock), settings, 5)[0] == 0
    restarted.close()


@pytest.mark.parametrize("failure", FAILURES, ids=FAILURE_IDS)
def test_a_control_store_that_stops_taking_writes_stops_attempts_at_once(
    stores: CacheStores, clock: FakeClock, monkeypatch: pytest.MonkeyPatch, failure: BaseException
) -> None:
    gate = gate_for(stores, clock)
    settings = Settings(daily_quota=20, admin_reserve=0, rate_limit=1000)
    assert attempts_through(gate, settings, 4)[0] == 4

    def refuse(*args: object, **kwargs: object) -> None:
        raise failure

    with monkeypatch.context() as disk_full:
        disk_full.setattr(diskcache.Cache, "transact", refuse)
        disk_full.setattr(diskcache.Cache, "set", refuse)
        passed, refusals = attempts_through(gate, settings, 30)
        assert passed == 0, "not even the attempt during which the disk failed"
        assert {type(r) for r in refusals} == {LimitsUnavailable}
        clock.advance(RECOVERY_INTERVAL)
        assert attempts_through(gate, settings, 3)[0] == 0, "the probe write fails too"
        assert stores.check_limits() is not None

    assert attempts_through(gate, settings, 3)[0] == 0, "next try after the interval"
    clock.advance(RECOVERY_INTERVAL)
    passed, _ = attempts_through(gate, settings, 30)
    assert passed == 16, "resumed: 4 + 16 = the quota of 20, counted on disk"
    assert gate.quota.used() == 20


def test_a_control_store_that_cannot_be_read_stops_attempts(
    stores: CacheStores, clock: FakeClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A ban that cannot be read is not "no ban"."""
    gate = gate_for(stores, clock)
    settings = Settings(rate_limit=1000)
    gate.after_attempt(settings, "m", ApiCallLimit(3600))

    def unreadable(*args: object, **kwargs: object) -> None:
        raise sqlite3.OperationalError("disk I/O error")

    monkeypatch.setattr(diskcache.Cache, "get", unreadable)
    with pytest.raises(LimitsUnavailable) as refused:
        gate.before_attempt(settings, VIEW, "w")
    assert "cannot be read" in refused.value.message
