"""The catalog's commands: products (through the cache), quota, cache stats|clear, refresh."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime

import pytest
from click.testing import CliRunner, Result
from flask import Flask
from flask.cli import ScriptInfo

from affsite.aliexpress.sandbox import Sandbox
from affsite.cli import cli
from affsite.clock import FakeClock

from .conftest import DETAIL

Run = Callable[..., Result]


@pytest.fixture
def run(web_app: Flask) -> Run:
    def invoke(*args: str, input: str | None = None) -> Result:
        return CliRunner().invoke(
            cli, list(args), obj=ScriptInfo(create_app=lambda: web_app), input=input
        )

    return invoke


def test_products_go_through_the_cache(run: Run, sandbox: Sandbox, promotable: list[str]) -> None:
    hidden = sandbox.catalog.not_promotable_ids()[0]
    asked = [promotable[2], hidden, f"https://www.aliexpress.com/item/{promotable[0]}.html"]
    first = run("products", "--json", *asked)
    assert first.exit_code == 0, first.output
    items = json.loads(first.stdout)
    assert [i["id"] for i in items] == [promotable[2], hidden, promotable[0]]
    assert items[1] == {"id": hidden, "available": False, "reason": "not_promotable"}

    again = run("products", "--json", *asked)
    assert json.loads(again.stdout) == items
    assert sandbox.call_count(DETAIL) == 1

    table = run("products", *asked)
    lines = table.stdout.splitlines()
    assert lines[0].split()[:2] == ["ID", "PRICE"]
    assert "not available: not promotable" in lines[2]


def test_products_exit_1_with_problem_and_fix_when_the_gateway_fails(
    run: Run, sandbox: Sandbox, promotable: list[str]
) -> None:
    sandbox.inject("server_error", status=502)
    result = run("products", promotable[0])
    assert result.exit_code == 1
    assert "not available: gateway down" in result.stdout
    assert "Problem:" in result.stderr and "502" in result.stderr
    assert "Fix:" in result.stderr


def test_products_refuse_input_that_names_no_product(run: Run, sandbox: Sandbox) -> None:
    result = run("products", "not a product")
    assert result.exit_code == 2
    assert sandbox.call_count() == 0


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


def test_cache_stats_and_clear(run: Run, sandbox: Sandbox, promotable: list[str]) -> None:
    run("products", *promotable[:3])
    run("products", *promotable[:3])
    stats = json.loads(run("cache", "stats", "--json").stdout)
    assert stats["entries"] == 3
    assert stats["answers"]["MISS"] == 3 and stats["answers"]["HIT"] == 3
    assert stats["hit_ratio"] == 0.5
    assert stats["cache"]["state"] == "ok"
    text = run("cache", "stats").stdout
    assert "Hit ratio:   50.0%" in text

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
