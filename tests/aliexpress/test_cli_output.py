"""What ``affsite products`` prints: a safe, aligned table or the public JSON array."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from affsite.aliexpress.models import Product
from affsite.cli import cli
from affsite.cli.api import format_json, format_table, printable
from affsite.public_json import available_json, unavailable_json

from .fakes import raw_product


def test_table_lists_items_in_order_with_unavailable_ones_marked() -> None:
    items = [
        available_json(Product.from_api(raw_product(1005004757833857)), 0),
        unavailable_json("33006951782"),
    ]
    lines = format_table(items).splitlines()
    assert lines[0].split() == ["ID", "PRICE", "WAS", "ORDERS", "RATING", "TITLE"]
    assert lines[1].startswith("1005004757833857  11.40 EUR  22.80 EUR")
    assert "94.6%" in lines[1] and "Product 1005004757833857" in lines[1]
    assert lines[2].startswith("33006951782") and "(not available: not promotable)" in lines[2]


def test_table_neutralises_terminal_escapes_and_bidi_overrides() -> None:
    title = "\x1b[2J\x1b]0;pwned\x07Mug \u202eevil\u202c\r\nline two"
    item = available_json(Product.from_api(raw_product(1, product_title=title)), 0)
    table = format_table([item])
    assert "\x1b" not in table and "\u202e" not in table and "\r" not in table
    assert len(table.splitlines()) == 2


def test_long_titles_are_cut() -> None:
    assert printable("x" * 100, 60) == "x" * 59 + "…"


def test_json_is_an_array_in_the_order_given() -> None:
    items = [unavailable_json("2"), unavailable_json("1")]
    assert [item["id"] for item in json.loads(format_json(items))] == ["2", "1"]


@pytest.fixture
def runner(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> CliRunner:
    monkeypatch.setenv("AFFSITE_INSTANCE", str(tmp_path))
    return CliRunner()


def test_check_in_demo_mode_uses_the_sandbox(runner: CliRunner) -> None:
    result = runner.invoke(cli, ["check"])
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines()[0] == "OK"


def test_check_json_for_scripts(runner: CliRunner, monkeypatch: pytest.MonkeyPatch) -> None:
    ok = runner.invoke(cli, ["check", "--json"])
    assert ok.exit_code == 0, ok.output
    assert json.loads(ok.stdout) == {"ok": True, "message": "OK", "fix": None, "demo_mode": True}

    monkeypatch.setenv("AFFSITE_APP_KEY", "123456")
    monkeypatch.setenv("AFFSITE_APP_SECRET", "s" * 32)
    monkeypatch.setenv("AFFSITE_API_URL", "http://127.0.0.1:9/sync")  # nothing listens there
    failed = runner.invoke(cli, ["check", "--json"])
    report = json.loads(failed.stdout)
    assert failed.exit_code == 1
    assert report["ok"] is False and report["demo_mode"] is False
    assert report["message"] and report["fix"]
    assert "s" * 32 not in failed.stdout


def test_products_in_demo_mode(runner: CliRunner) -> None:
    from affsite.gateway import demo_sandbox

    catalog = demo_sandbox().catalog
    wanted = [list(catalog.promotable_ids())[3], list(catalog.not_promotable_ids())[1]]
    result = runner.invoke(cli, ["products", "--json", *wanted])
    assert result.exit_code == 0, result.output
    items = json.loads(result.stdout)
    assert [(i["id"], i["available"]) for i in items] == [(wanted[0], True), (wanted[1], False)]
