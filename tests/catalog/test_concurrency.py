"""Many worker processes share one cache, one quota, one ban.

Processes each open their own stores on the same folder (gunicorn workers) and talk to a real
sandbox server on 127.0.0.1. (Threads sharing one catalog: ``test_fetching``.)
"""

from __future__ import annotations

import json
import subprocess
import sys
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
from affsite.cache import open_stores
from affsite.catalog import Catalog, Purpose, Reason, Status

from .conftest import DETAIL
from .helpers import TRACKING_IDS, SettingsBox, transport_factory

WORKER = Path(__file__).with_name("worker.py")


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
        assert set(result["statuses"]) <= {Status.MISS, Status.NEGATIVE, Status.HIT}
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
    answered = [s for r in results for s in r["statuses"] if s != Status.FALLBACK]
    assert len(answered) == 40
    reasons = {reason for r in results for reason in r["reasons"] if reason != "not_promotable"}
    assert reasons == {Reason.QUOTA_EXHAUSTED, None}


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
    first = catalog.product(ids[0], purpose=Purpose.PAGE)
    catalog.close()
    assert (first.status, first.reason) == (Status.FALLBACK, Reason.BANNED)
    calls = sandbox.call_count(DETAIL)

    job = {
        "cache_dir": str(tmp_path / "cache"),
        "api_url": handle.sync_url,
        "settings": {"rate_limit": 1000.0},
        "requests": [[ids[1]]],
    }
    (result,) = run_workers([job], tmp_path)
    assert result == {"statuses": [Status.FALLBACK], "reasons": [Reason.BANNED]}
    assert sandbox.call_count(DETAIL) == calls
