"""The circuit breaker: opens after repeated failures, one probe at a time, credentials apart."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from affsite.cache import CacheStores, Tx
from affsite.clock import FakeClock
from affsite.limits import CircuitBreaker, CredentialsRefused, GatewayDown, credentials_fingerprint
from affsite.settings import Settings


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


def test_a_worker_refused_for_anothers_probe_may_ask_again_within_seconds(
    stores: CacheStores, clock: FakeClock
) -> None:
    breaker = CircuitBreaker(stores.ctl, clock, threshold=1, reset_timeout=60)
    breaker.record_failure("GatewayUnavailable")
    with pytest.raises(GatewayDown) as paused:
        breaker.check("creds", "w2")
    assert paused.value.until == clock() + 60  # the pause: until its end

    clock.advance(61)
    breaker.check("creds", "w1")  # w1 is the probe
    with pytest.raises(GatewayDown) as waiting:
        breaker.check("creds", "w2")
    assert waiting.value.until is not None and waiting.value.until <= clock() + 5
    breaker.record_failure("GatewayUnavailable")  # the probe failed: a longer pause
    with pytest.raises(GatewayDown) as again:
        breaker.check("creds", "w2")
    assert again.value.until == clock() + 120


@pytest.mark.parametrize("reset", [60.0, 600.0])  # 600: the longest pause there is
def test_a_probe_that_failed_while_another_worker_looked_is_not_followed_by_a_second(
    stores: CacheStores, clock: FakeClock, monkeypatch: pytest.MonkeyPatch, reset: float
) -> None:
    first = CircuitBreaker(stores.ctl, clock, threshold=1, reset_timeout=reset)
    second = CircuitBreaker(stores.ctl, clock, threshold=1, reset_timeout=reset)
    first.record_failure("GatewayUnavailable")
    clock.advance(reset + 1)
    atomic, armed = stores.ctl.atomic, [True]

    def first_probes_in_vain_meanwhile(operation: Callable[[Tx], object]) -> object:
        # The second worker has seen the pause over and is about to take the probe ...
        if armed.pop() if armed else False:
            clock.advance(1)  # ... when the first, a moment later, takes it
            first.check("creds", "w1")
            first.record_failure("GatewayUnavailable")  # and fails: open again
        return atomic(operation)

    monkeypatch.setattr(stores.ctl, "atomic", first_probes_in_vain_meanwhile)
    with pytest.raises(GatewayDown):
        second.check("creds", "w2")
    assert first.status().state == "open"


def test_rejected_credentials_stay_refused_until_they_change(
    stores: CacheStores, clock: FakeClock
) -> None:
    breaker = CircuitBreaker(stores.ctl, clock)
    wrong = credentials_fingerprint(Settings(app_key="123", app_secret="wrong"))
    right = credentials_fingerprint(Settings(app_key="123", app_secret="right"))
    assert wrong != right and "wrong" not in wrong
    breaker.record_credentials_failure(wrong, "InvalidAppKey", "check the App Key")
    with pytest.raises(CredentialsRefused) as refused:
        breaker.check(wrong, "w1")
    assert refused.value.fix == "check the App Key"
    assert breaker.status(wrong).state == "credentials"
    breaker.check(right, "w1")
