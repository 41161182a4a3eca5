"""The gateway failing mid-load: down (connections refused), 5xx, slow past every client
timeout, banned (``ApiCallLimit``), answering garbage.

Each scenario: visitors are on the warm site; mid-load the fault starts and the site's clock
moves past the entries' freshness, so every warm product is stale. Then, with numbers:

* no answer is a 5xx and no connection breaks; stale products are served as products;
* the failed attempts open the breaker (or, for a ban, the ban is shared), after which the
  gateway gets no call at all while visitors keep coming;
* when the pause runs out, exactly one call (the breaker's probe) is made, and it fails;
* healed and past the pause, the site answers fresh products again.

Calls are counted where they can be: by the sandbox gateway, and as attempts by the site's
own quota counter (the only count when connections are refused).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass

import pytest

from .routes import public_paths, unavailable_items, unknown_ids
from .stack import STALE_MOVE, THREADS, WORKERS, LoadStack, SiteState
from .traffic import LoadReport, run_load

pytestmark = pytest.mark.load

CLIENTS = 8
FAULT_AT = 100  # the request during which the fault starts
BREAKER_THRESHOLD = 5  # the catalog's consecutive failures before calls pause
IN_FLIGHT = WORKERS * (THREADS + 1)  # attempts one site can have under way at once


@dataclass(frozen=True)
class Fault:
    name: str
    start: Callable[[LoadStack], None]
    breaker: bool = True  # False: a ban, which pauses calls by itself
    reaches_gateway: bool = True  # False: refused connections never reach the sandbox


FAULTS = [
    Fault("refused", lambda s: s.relay.down(), reaches_gateway=False),
    Fault("http_503", lambda s: s.sandbox.inject("server_error", status=503)),
    # Past every deadline: a visitor's call gives up after 4 s, a background one after 10 s.
    Fault("slow", lambda s: s.sandbox.inject("slow", seconds=11)),
    Fault("banned", lambda s: s.sandbox.inject("rate_limit", ban_seconds=300), breaker=False),
    Fault("garbage", lambda s: s.sandbox.inject("malformed")),
]


def outage_paths(stack: LoadStack, cold: list[str], after: int = 0) -> Callable[[int], str]:
    """Every public route for the warm products; from request ``after`` on, a product nobody
    asked for yet every fourth request."""
    warm = public_paths(stack.warm_ids)

    def path(n: int) -> str:
        if n >= after and n % 4 == 0:
            return f"/api/v1/products?ids={cold[(n // 4) % len(cold)]}"
        return warm[n % len(warm)]

    return path


def outage_problem(path: str, status: int, headers: Mapping[str, str], body: bytes) -> str | None:
    """During an outage: no error status; warm products served (stale), never a gap."""
    if not 200 <= status < 400:
        return f"status {status}"
    if path.startswith("/api/v1/products?ids=") and "," in path and unavailable_items(body):
        return f"a warm product was not served (X-Cache {headers.get('x-cache')})"
    return None


def wait_for_pause(stack: LoadStack, fault: Fault) -> SiteState:
    """The site's state once the breaker is open, or the ban is recorded (bounded)."""
    state = stack.state()
    for _ in range(20):
        if (state.breaker == "open") if fault.breaker else (state.ban_until is not None):
            break
        time.sleep(0.25)
        state = stack.state()
    return state


def no_trouble(report: LoadReport) -> bool:
    return report.server_errors == 0 and not report.errors and report.problems == []


@pytest.mark.parametrize("fault", FAULTS, ids=[f.name for f in FAULTS])
def test_a_gateway_failing_mid_load_is_answered_from_stale_entries_and_probed_once(
    stack: LoadStack, fault: Fault
) -> None:
    # None is renewed from the healthy gateway while the fault starts (a renewal under way
    # then would bring fresh products into the outage).
    stack.freshen()
    cold = unknown_ids(stack, 10, seed=sum(map(ord, fault.name)))
    onset_paths = outage_paths(stack, cold, after=FAULT_AT + 2 * CLIENTS)
    paths = outage_paths(stack, cold)
    before = stack.state()

    started = threading.Event()

    def start_fault(n: int) -> None:
        if n == FAULT_AT:  # mid-load: other visitors are being answered right now
            # The fault starts with the move (a ban lasts from the moved time on), before
            # any worker could renew an expired product from the healthy gateway.
            stack.advance(STALE_MOVE, then=lambda: fault.start(stack))
            started.set()
        elif n > FAULT_AT:  # the visitors after it come once it has started
            started.wait(timeout=30)

    onset = run_load(
        stack.url,
        onset_paths,
        label=f"{fault.name}: onset",
        clients=CLIENTS,
        requests=200,
        seconds=60,
        check=outage_problem,
        between=start_fault,
    )
    paused = wait_for_pause(stack, fault)
    spent = paused.attempts - before.attempts
    print(
        f"[{fault.name}] attempts until the pause: {spent}, gateway calls: "
        f"{paused.calls - before.calls}"
    )
    assert no_trouble(onset)
    assert onset.x_cache["STALE"] > 0
    if fault.breaker:
        assert paused.breaker == "open"
    else:
        assert paused.ban_until is not None
    # Until the pause: the failed attempts that opened it, plus those already in flight in
    # the workers then (one per thread and background refresher at most).
    assert spent <= BREAKER_THRESHOLD + IN_FLIGHT
    if fault.reaches_gateway:
        assert paused.calls - before.calls == spent

    during = run_load(
        stack.url,
        paths,
        label=f"{fault.name}: paused",
        clients=CLIENTS,
        requests=200,
        seconds=60,
        check=outage_problem,
    )
    still = stack.state()
    assert no_trouble(during)
    assert during.x_cache["STALE"] > 0 and during.x_cache["HIT"] == 0
    assert (still.calls, still.attempts) == (paused.calls, paused.attempts)  # not one call

    if fault.breaker:
        # Calls under way when the breaker opened may have failed since and extended the
        # pause: its end is read after they are all over.
        assert still.open_until is not None
        stack.advance(still.open_until - stack.clock() + 1)
        probing = run_load(
            stack.url,
            paths,
            label=f"{fault.name}: probe",
            clients=CLIENTS,
            requests=80,
            seconds=60,
            check=outage_problem,
        )
        if fault.name == "slow":  # the probe waits at the gateway: read while it does
            for _ in range(50):
                if stack.sandbox.answering():
                    break
                time.sleep(0.1)
        probed = stack.state(settle=fault.name != "slow")
        assert no_trouble(probing)
        assert probed.attempts - still.attempts == 1  # exactly one probe
        if fault.reaches_gateway:
            assert probed.calls - still.calls == 1
        if fault.name != "slow":  # a slow probe may still be waiting for its answer
            assert probed.breaker == "open"

    stack.heal()
    # Calls still under way are answered now (a slow one at once) before time moves on:
    # moving the clock under a call would make it miss its deadline.
    healing = stack.state()
    pause_ends = max(healing.open_until or 0, healing.ban_until or 0)
    if pause_ends > stack.clock():
        stack.advance(pause_ends - stack.clock() + 1)
    healed = stack.rewarm()
    after = stack.state()
    assert healed.x_cache == {"HIT": len(healed.latencies)}
    assert healed.server_errors == 0
    assert after.calls > still.calls  # fresh answers came from the gateway again
    assert after.breaker == "closed" and after.ban_until is None
