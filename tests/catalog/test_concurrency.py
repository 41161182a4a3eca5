"""Many threads and many worker processes share one cache, one quota, one ban.

Threads share one catalog (a gthread worker); processes each open their own stores on the same
folder (gunicorn workers) and talk to a real sandbox server on 127.0.0.1.
"""

from __future__ import annotations

import json
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from affsite.aliexpress.sandbox import (
    DEMO_APP_KEY,
    DEMO_APP_SECRET,
    Sandbox,
    ServerHandle,
    serve,
)
from affsite.background import ThreadRefresher
from affsite.cache import open_stores
from affsite.catalog import FALLBACK, HIT, MISS, NEGATIVE, STALE, Catalog, ProductAnswer
from affsite.clock import FakeClock

from .conftest import DETAIL, MakeCatalog
from .helpers import TRACKING_IDS, SettingsBox, transport_factory

WORKER = Path(__file__).with_name("worker.py")


def test_eight_threads_on_one_cold_page_make_one_call_per_batch(tmp_path: Path) -> None:
    sandbox = Sandbox(tracking_ids=TRACKING_IDS)
    sandbox.inject("slow", seconds=0.2)  # long enough for every thread to arrive meanwhile
    catalog = Catalog(
        settings=SettingsBox(rate_limit=1000.0),
        stores=open_stores(tmp_path / "cache"),
        client_factory=transport_factory(sandbox.transport()),
        poll_interval=0.01,
    )
    ids = sandbox.catalog.ids()[:45]
    barrier = threading.Barrier(8)
    results: list[list[ProductAnswer]] = []

    def render() -> None:
        barrier.wait(timeout=10)
        results.append(catalog.products(ids))

    threads = [threading.Thread(target=render) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    sandbox.clear_faults()
    catalog.close()

    assert len(results) == 8
    assert sandbox.call_count(DETAIL) == 3
    for answers in results:
        assert [a.id for a in answers] == ids
        assert {a.status for a in answers} <= {MISS, NEGATIVE, HIT}


def test_stale_is_answered_while_the_refresh_runs_in_the_background(
    make_catalog: MakeCatalog, sandbox: Sandbox, clock: FakeClock, promotable: list[str]
) -> None:
    refresher = ThreadRefresher()
    catalog = make_catalog(refresher=refresher)
    ids = promotable[:3]
    catalog.products(ids)
    clock.advance(1.2 * 86_400)
    sandbox.inject("slow", seconds=60)  # the background refresh hangs in the gateway

    for _ in range(3):  # answered at once, and the refresh is queued only once
        assert {a.status for a in catalog.products(ids)} == {STALE}
    sandbox.clear_faults()  # the gateway answers now
    refresher.close(timeout=20)
    assert sandbox.call_count(DETAIL) == 2
    assert {a.status for a in catalog.products(ids)} == {HIT}


def test_the_background_refresher_queues_each_id_once() -> None:
    refresher = ThreadRefresher()
    release = threading.Event()
    ran: list[list[str]] = []

    def job(ids: list[str]) -> None:
        ran.append(ids)
        release.wait(10)

    assert refresher.submit("ns", ["1", "2"], job)
    assert not refresher.submit("ns", ["2", "1"], job)
    assert refresher.submit("ns", ["2", "3"], job)
    release.set()
    refresher.close(timeout=10)
    assert ran == [["1", "2"], ["3"]]


# --- separate worker processes ------------------------------------------------------------


@pytest.fixture
def server() -> Iterator[tuple[Sandbox, ServerHandle]]:
    sandbox = Sandbox(tracking_ids=TRACKING_IDS)
    with serve(sandbox) as handle:
        yield sandbox, handle
        sandbox.clear_faults()


def run_workers(jobs: list[dict[str, Any]], tmp_path: Path) -> list[dict[str, Any]]:
    """Start one process per job, release them together, return their JSON results."""
    start = tmp_path / "start"
    processes = []
    for number, job in enumerate(jobs):
        job = {**job, "start_file": str(start), "ready_file": str(tmp_path / f"ready-{number}")}
        processes.append(
            subprocess.Popen(
                [sys.executable, str(WORKER), json.dumps(job)],
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
            )
        )
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if all((tmp_path / f"ready-{n}").exists() for n in range(len(jobs))):
                break
            time.sleep(0.01)
        start.touch()
        results = []
        for process in processes:
            out, err = process.communicate(timeout=60)
            assert process.returncode == 0, err
            results.append(json.loads(out.strip().splitlines()[-1]))
        return results
    finally:
        for process in processes:
            if process.poll() is None:
                process.kill()


@pytest.mark.slow
def test_four_processes_on_one_cold_page_make_one_call_per_batch(
    server: tuple[Sandbox, ServerHandle], tmp_path: Path
) -> None:
    sandbox, handle = server
    sandbox.inject("slow", seconds=0.3)
    ids = sandbox.catalog.ids()[:45]
    job = {
        "cache_dir": str(tmp_path / "cache"),
        "api_url": handle.sync_url,
        "settings": {"rate_limit": 1000.0},
        "requests": [ids],
    }
    results = run_workers([job] * 4, tmp_path)
    assert sandbox.call_count(DETAIL) == 3
    for result in results:
        assert set(result["statuses"]) <= {MISS, NEGATIVE, HIT}
        assert len(result["statuses"]) == 45


@pytest.mark.slow
def test_four_processes_hammering_never_exceed_the_daily_quota(
    server: tuple[Sandbox, ServerHandle], tmp_path: Path
) -> None:
    sandbox, handle = server
    ids = sandbox.catalog.ids()
    jobs = [
        {
            "cache_dir": str(tmp_path / "cache"),
            "api_url": handle.sync_url,
            "settings": {
                "rate_limit": 1000.0,
                "daily_quota": 40,
                "admin_reserve": 0,
                "batch_size": 1,
            },
            "requests": [[pid] for pid in ids[n * 30 : (n + 1) * 30]],
        }
        for n in range(4)
    ]
    results = run_workers(jobs, tmp_path)
    assert sandbox.call_count(DETAIL) == 40
    answered = [s for r in results for s in r["statuses"] if s != FALLBACK]
    assert len(answered) == 40
    reasons = {reason for r in results for reason in r["reasons"] if reason != "not_promotable"}
    assert reasons == {"quota_exhausted", None}


@pytest.mark.slow
def test_a_ban_reported_to_one_process_is_honoured_by_another(
    server: tuple[Sandbox, ServerHandle], tmp_path: Path
) -> None:
    sandbox, handle = server
    ids = sandbox.catalog.promotable_ids()
    settings = SettingsBox(
        app_key=DEMO_APP_KEY,
        app_secret=DEMO_APP_SECRET,
        tracking_id="affsite_demo",
        api_url=handle.sync_url,
        rate_limit=1000.0,
    )
    catalog = Catalog(
        settings=settings,
        stores=open_stores(tmp_path / "cache"),
        client_factory=transport_factory(None),
    )
    sandbox.inject("rate_limit", ban_seconds=600)
    first = catalog.product(ids[0])
    catalog.close()
    assert (first.status, first.reason) == (FALLBACK, "banned")
    calls = sandbox.call_count(DETAIL)

    job = {
        "cache_dir": str(tmp_path / "cache"),
        "api_url": handle.sync_url,
        "settings": {"rate_limit": 1000.0},
        "requests": [[ids[1]]],
    }
    (result,) = run_workers([job], tmp_path)
    assert result == {"statuses": [FALLBACK], "reasons": ["banned"]}
    assert sandbox.call_count(DETAIL) == calls
