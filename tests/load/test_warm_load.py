"""Warm load: many visitors on every public route of a warmed site cost no gateway call, and
the quota counter is exactly the number of calls the gateway received."""

from __future__ import annotations

from collections.abc import Mapping
from concurrent.futures import ThreadPoolExecutor

import pytest

from .conftest import cold_ids
from .routes import draws_products, public_paths, unavailable_items
from .stack import LoadStack
from .traffic import run_load

pytestmark = pytest.mark.load

REQUESTS = 3000
CLIENTS = 8


def warm_answer_problem(
    path: str, status: int, headers: Mapping[str, str], body: bytes
) -> str | None:
    if not 200 <= status < 400:
        return f"status {status}"
    if draws_products(path) and headers.get("x-cache") != "HIT":
        return f"X-Cache {headers.get('x-cache')}"
    if path.startswith("/api/v1/products") and unavailable_items(body):
        return "unavailable products in a warm answer"
    return None


def test_warm_load_on_every_public_route_costs_no_gateway_call(stack: LoadStack) -> None:
    stack.freshen()  # none can expire during the load
    paths = public_paths(stack.warm_ids)
    before = stack.state()

    report = run_load(
        stack.url,
        paths,
        label="warm load",
        clients=CLIENTS,
        requests=REQUESTS,
        seconds=60,
        check=warm_answer_problem,
    )

    after = stack.state()
    command = stack.cli_stats()  # the command prints the same numbers
    print(f"[warm load] affsite cache stats --json: quota used {command['quota']['used']}")
    assert command["quota"]["used"] == after.attempts
    assert report.sent >= REQUESTS // 10, "the site stopped answering"
    assert report.count(200, 400) == report.sent
    assert not report.errors
    assert report.problems == []
    assert after.calls == before.calls
    assert after.attempts == before.attempts


def test_a_cold_burst_costs_one_call_per_batch_and_the_quota_counts_it_exactly(
    stack: LoadStack,
) -> None:
    ids = cold_ids(stack, 0, 20)  # one batch
    before = stack.state()
    stack.sandbox.inject("slow", seconds=0.5, times=1)  # every visitor arrives mid-fetch
    paths = [f"/api/v1/products?ids={','.join(ids)}", f"/embed/grid?ids={','.join(ids)}"] * 8

    with ThreadPoolExecutor(max_workers=len(paths)) as pool:
        answers = list(pool.map(stack.get, paths))

    statuses = sorted({answer.status for answer in answers})
    hits = [answer.headers.get("x-cache", "-") for answer in answers]
    after = stack.state()
    print(
        f"[cold burst] requests={len(paths)} statuses={statuses} x-cache={sorted(set(hits))} "
        f"calls for its products={stack.calls_for(ids)}"
    )
    assert statuses == [200]
    assert all(unavailable_items(a.body) == 0 for a in answers if a.body.startswith(b"["))
    assert stack.calls_for(ids) == 1  # one call for the batch, shared by every worker
    assert after.attempts - before.attempts == after.calls - before.calls
