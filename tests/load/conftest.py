"""Fixtures for the load and fault suite: one site per test process (``affsite serve`` with
several workers, the sandbox gateway over HTTP behind a relay, a shared shifted clock; see
``stack``), its catalog warmed, and the gateway healed before and after every scenario.

Each scenario sets up what it needs and leaves the gateway healthy, so the scenarios pass in
any order and in any split between test processes (each process starts its own site).
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from .stack import LoadStack, make_stack, stop_stack

#: Products the site owner looked up before the load (``affsite products``): the site's own.
WARM_COUNT = 80


@pytest.fixture(scope="session")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LoadStack]:
    site = make_stack(tmp_path_factory.mktemp("load"), WARM_COUNT)
    print(f"\n[stack] {site.url} workers={site.worker_pids()} warm={len(site.warm_ids)}")
    try:
        yield site
    finally:
        stop_stack(site)


@pytest.fixture(autouse=True)
def healthy_gateway(stack: LoadStack) -> Iterator[None]:
    """The gateway answers normally when a scenario starts and after it ends; a pause a
    failed scenario left (breaker open, ban) is over before the next one starts."""
    stack.heal()
    yield
    stack.heal()
    state = stack.state(settle=False)
    pause_ends = max(state.open_until or 0, state.ban_until or 0)
    if state.breaker != "closed" or pause_ends:
        stack.advance(max(0.0, pause_ends - stack.clock()) + 1)
        stack.rewarm()


def cold_ids(stack: LoadStack, start: int, count: int) -> list[str]:
    """Promotable sandbox products after the warm ones, ``start`` onwards: each scenario
    takes its own range, so no other scenario has made them warm."""
    promotable = stack.sandbox.catalog.promotable_ids()
    chosen = promotable[WARM_COUNT + start : WARM_COUNT + start + count]
    assert len(chosen) == count, "the sandbox catalog has too few products for this range"
    return chosen
