"""The daily quota spent mid-load: the admin sets a tiny quota while visitors are on the site,
and the warm products expire, so renewing them spends the few calls left. Afterwards no call
reaches the gateway, products nobody has fetched get fallback boxes, the ones the site has
are served (stale or not), and no answer is an error."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Mapping

import pytest

from .conftest import cold_ids
from .routes import public_paths, unavailable_items, unknown_ids
from .stack import STALE_MOVE, THREADS, WORKERS, LoadStack
from .traffic import run_load

pytestmark = pytest.mark.load

CLIENTS = 8
SAVE_AT = 60  # the request during which the admin saves the tiny quota
LEFT = 3  # gateway calls the tiny quota leaves for pages
QUOTA_REASONS = ("quota_exhausted", "new_product_limit")
IN_FLIGHT = WORKERS * (THREADS + 1)  # attempts one site can have under way at once


def mixed_paths(
    stack: LoadStack, cold: list[str], ready: Callable[[], bool]
) -> Callable[[int], str]:
    """Warm routes; once ``ready()``, every third request a product not fetched yet (as JSON
    or as an embed page)."""
    warm = public_paths(stack.warm_ids)

    def path(n: int) -> str:
        if n % 3 == 0 and ready():
            pid = cold[(n // 3) % len(cold)]
            return f"/api/v1/products?ids={pid}" if n % 2 else f"/embed/box?ids={pid}"
        return warm[n % len(warm)]

    return path


def no_error(path: str, status: int, headers: Mapping[str, str], body: bytes) -> str | None:
    return None if 200 <= status < 400 else f"status {status}"


def fallback_problem(path: str, status: int, headers: Mapping[str, str], body: bytes) -> str | None:
    """Once the quota is spent: products not fetched yet are fallbacks saying why (the share
    of the quota for products only public requests ask for is spent with it)."""
    if not 200 <= status < 400:
        return f"status {status}"
    one = "," not in path
    if path.startswith("/api/v1/products?ids=") and one:
        [item] = json.loads(body)
        if item.get("available") or item.get("reason") not in QUOTA_REASONS:
            return f"not a quota fallback: {item}"
    if path.startswith("/api/v1/products?ids=") and not one and unavailable_items(body):
        return "a product the site had was not served"
    if path.startswith("/embed/box?ids=") and one and headers.get("x-cache") != "FALLBACK":
        return f"X-Cache {headers.get('x-cache')}"
    return None


def test_a_quota_spent_mid_load_stops_every_call_and_answers_with_fallbacks(
    stack: LoadStack,
) -> None:
    stack.freshen()  # nothing is renewed before the admin saves the tiny quota
    before = stack.state()
    saved: dict[str, int] = {}
    done = threading.Event()

    with stack.settings_restored(("daily_quota", "admin_reserve")) as admin:

        def spend_the_quota(n: int) -> None:
            if n == SAVE_AT:
                used = stack.state(settle=False).attempts
                saved["daily_quota"] = used + LEFT
                changes = {"daily_quota": str(used + LEFT), "admin_reserve": "0"}
                saved["status"] = admin.save_settings(changes).status
                # The warm products expire: renewing them spends the few calls left.
                stack.advance(STALE_MOVE)
                done.set()
            elif n > SAVE_AT:  # the visitors after it come once it is saved
                done.wait(timeout=30)

        onset = run_load(
            stack.url,
            mixed_paths(stack, cold_ids(stack, 20, 30), done.is_set),
            label="quota: onset",
            clients=CLIENTS,
            requests=300,
            seconds=60,
            check=no_error,
            between=spend_the_quota,
        )
        spent = stack.state()
        after = run_load(
            stack.url,
            mixed_paths(stack, unknown_ids(stack, 30, seed=7), done.is_set),
            label="quota: spent",
            clients=CLIENTS,
            requests=400,
            seconds=60,
            check=fallback_problem,
        )
        final = stack.state()

    quota = saved["daily_quota"]
    print(f"[quota] tiny daily quota {quota}; quota counter {before.attempts} -> {final.attempts}")
    assert saved["status"] == 303
    assert onset.count(200, 400) == onset.sent and not onset.errors and onset.problems == []
    assert spent.stats["quota"]["limit"] == quota
    # Spent. Beyond it only by attempts already past the quota check when it was saved: every
    # attempt, queued renewals' too, is held to the quota in force when it starts.
    assert quota <= spent.attempts <= quota + IN_FLIGHT
    assert spent.calls - before.calls == spent.attempts - before.attempts
    assert after.count(200, 400) == after.sent and not after.errors and after.problems == []
    assert after.x_cache["FALLBACK"] > 0
    assert (final.calls, final.attempts) == (spent.calls, spent.attempts)  # no call after it
