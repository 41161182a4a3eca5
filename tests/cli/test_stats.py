"""``affsite stats``: clicks on boxes per product and UTC day, and click-through per view, as
JSON for scripts and as a readable table."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

from flask import Flask

from affsite.catalog import get_catalog
from affsite.clock import FakeClock

from .conftest import Run

HOSTILE = "1005006021187733"  # "Magnetic Car Phone Holder' onmouseover=... <svg onload=...>"


def _clicks(site: Flask, pid: str, times: int) -> None:
    with site.app_context():
        for _ in range(times):
            get_catalog().clicks.record(pid)


def test_stats_json_has_clicks_per_product_and_day_and_click_through(
    run: Run, site: Flask, clock: FakeClock, promotable: list[str]
) -> None:
    a, b = promotable[:2]
    clock.now = datetime(2024, 6, 1, 12, tzinfo=UTC).timestamp()
    for _ in range(4):
        run("products", a, b)  # four views each
    _clicks(site, a, 1)
    clock.advance(86_400)
    _clicks(site, a, 2)
    _clicks(site, b, 1)

    result = run("stats", "--json", "--days", "2")

    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["day_basis"] == "UTC"
    assert data["days"] == ["2024-06-01", "2024-06-02"]
    assert data["clicks_per_day"] == {"2024-06-01": 1, "2024-06-02": 3}
    assert data["views_per_day"] == {"2024-06-01": 8, "2024-06-02": 0}
    assert (data["clicks"], data["views"], data["click_through"]) == (4, 8, 0.5)
    assert data["products_counted"] == 2
    first, second = data["products"]
    assert first["id"] == a and first["title"]
    assert (first["clicks"], first["views"], first["click_through"]) == (3, 4, 0.75)
    assert first["clicks_per_day"] == {"2024-06-01": 1, "2024-06-02": 2}
    assert (second["id"], second["clicks"], second["click_through"]) == (b, 1, 0.25)


def test_stats_prints_a_readable_table_with_safe_titles(
    run: Run, site: Flask, clock: FakeClock
) -> None:
    run("products", HOSTILE)
    _clicks(site, HOSTILE, 3)
    today = datetime.fromtimestamp(clock(), tz=UTC).date()

    result = run("stats")

    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    week = f"{today - timedelta(days=6)} to {today}"
    assert (
        lines[0]
        == f"Clicks on boxes, {week} (UTC days): 3 click(s), 1 view(s), click-through 300.0%"
    )
    header = lines[2].split()
    assert header[0] == "ID" and header[-4:] == ["CLICKS", "VIEWS", "CTR", "TITLE"]
    assert header[1:8] == [
        (today - timedelta(days=back)).strftime("%m-%d") for back in range(6, -1, -1)
    ]
    row = next(line for line in lines if line.startswith(HOSTILE))
    assert row.split()[1:11] == ["0"] * 6 + ["3", "3", "1", "300.0%"]
    assert "Magnetic Car Phone Holder" in row
    assert lines[-1].split()[:4] == ["ALL", "0", "0", "0"]
    assert "\x1b" not in result.stdout


def test_stats_when_nothing_was_clicked(run: Run) -> None:
    result = run("stats")
    assert result.exit_code == 0, result.output
    assert "0 click(s), 0 view(s), click-through -" in result.stdout
    assert "No clicks or views counted in this period." in result.stdout
    data = json.loads(run("stats", "--json").stdout)
    assert (data["clicks"], data["products"], len(data["days"])) == (0, [], 7)


def test_stats_cuts_the_list_and_long_windows_print_totals_only(
    run: Run, site: Flask, promotable: list[str]
) -> None:
    for rank, pid in enumerate(promotable[:3]):
        _clicks(site, pid, rank + 1)
    text = run("stats", "--top", "1", "--days", "30").stdout.splitlines()
    assert text[2].split() == ["ID", "CLICKS", "VIEWS", "CTR", "TITLE"]
    assert text[3].split()[:4] == [promotable[2], "3", "0", "-"]
    assert text[-1] == "(2 more product(s))"
    assert json.loads(run("stats", "--json", "--top", "0").stdout)["products"] == []
    refused = run("stats", "--days", "0")
    assert refused.exit_code == 2 and "--days" in refused.output
