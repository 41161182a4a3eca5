"""The catalog's commands: quota, cache stats|clear, refresh (for cron), with the stores on
disk and in Redis."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest

from affsite.aliexpress.sandbox import Sandbox
from affsite.clock import FakeClock

from .conftest import DETAIL, Run

pytestmark = pytest.mark.parametrize("store_backend", ["disk", "redis"], indirect=True)


def test_quota_shows_used_left_and_the_beijing_midnight_reset(
    run: Run, clock: FakeClock, promotable: list[str]
) -> None:
    run("products", promotable[0])
    result = run("quota", "--json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert (data["used"], data["limit"], data["left"]) == (1, 5000, 4999)
    reset = datetime.fromisoformat(data["resets_at"])
    assert (reset.hour, reset.minute, reset.tzinfo) == (16, 0, UTC)
    assert 0 < reset.timestamp() - clock() <= 86_400

    text = run("quota").stdout
    assert "1 of 5000" in text and "Resets at" in text and "16:00 UTC" in text


def test_cache_stats_and_clear(
    run: Run, sandbox: Sandbox, promotable: list[str], store_backend: str
) -> None:
    run("products", *promotable[:3])
    run("products", *promotable[:3])
    stats = json.loads(run("cache", "stats", "--json").stdout)
    assert stats["entries"] == 3
    assert stats["answers"]["MISS"] == 3 and stats["answers"]["HIT"] == 3
    assert stats["hit_ratio"] == 0.5
    assert stats["cache"]["state"] == "ok"
    assert stats["cache"]["backend"] == store_backend
    text = run("cache", "stats").stdout
    assert "Hit ratio:   50.0%" in text
    assert ("Kept in:     Redis, shared by every machine" in text) == (store_backend == "redis")

    refused = run("cache", "clear", input="n\n")
    assert refused.exit_code != 0
    cleared = run("cache", "clear", "--yes")
    assert cleared.exit_code == 0 and "Removed 3" in cleared.stdout
    run("products", *promotable[:3])
    assert sandbox.call_count(DETAIL) == 2


def test_refresh_spends_at_most_its_budget(
    run: Run, sandbox: Sandbox, clock: FakeClock, promotable: list[str]
) -> None:
    run("products", *promotable[:45])
    clock.advance(0.95 * 86_400)
    before = sandbox.call_count(DETAIL)
    result = run("refresh", "--budget", "2", "--json")
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert report["calls"] == 2 and sandbox.call_count(DETAIL) == before + 2
    assert report["refreshed"] + report["not_promotable"] == 40
    assert report["still_due"] == 5


def test_refresh_renews_the_lists_on_the_sites_pages(
    run: Run, sandbox: Sandbox, clock: FakeClock
) -> None:
    expanded = run("expand", "-", input='[aliexpress search="usb" limit="4"]')
    assert expanded.exit_code == 0, expanded.output
    searches = "aliexpress.affiliate.product.query"
    assert sandbox.call_count(searches) == 1
    clock.advance(0.95 * 21_600)  # close to the default list expiration time

    report = json.loads(run("refresh", "--budget", "3", "--json").stdout)
    assert report["lists"] == {"due": 1, "renewed": 1, "failed": 0}
    assert report["calls"] == 1 and sandbox.call_count(searches) == 2

    clock.advance(0.95 * 21_600)
    text = run("refresh", "--budget", "3").stdout
    assert "Renewed 1 of 1 list(s) due." in text


def test_cache_stats_say_when_the_scheduled_refresh_last_ran(
    run: Run, clock: FakeClock, promotable: list[str]
) -> None:
    assert "Refresh:     never run" in run("cache", "stats").stdout
    run("products", *promotable[:20])
    clock.advance(0.95 * 86_400)
    run("refresh", "--budget", "2")
    clock.advance(3 * 3600)
    text = run("cache", "stats").stdout
    assert "(3 h 0 min ago), 1 call(s), " in text and "LATE: check the cron job" in text
    last = json.loads(run("cache", "stats", "--json").stdout)["last_refresh"]
    assert (last["calls"], last["late"]) == (1, True)
