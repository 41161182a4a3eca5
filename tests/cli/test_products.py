"""``affsite products``: products through the site's catalog, in the order asked."""

from __future__ import annotations

import json

from click.testing import CliRunner

from affsite.aliexpress.sandbox import Sandbox
from affsite.cli import cli

from .conftest import DETAIL, Run


def test_products_in_demo_mode(runner: CliRunner) -> None:
    from affsite.catalog.connection import demo_sandbox

    catalog = demo_sandbox().catalog
    wanted = [list(catalog.promotable_ids())[3], list(catalog.not_promotable_ids())[1]]
    result = runner.invoke(cli, ["products", "--json", *wanted])
    assert result.exit_code == 0, result.output
    items = json.loads(result.stdout)
    assert [(i["id"], i["available"]) for i in items] == [(wanted[0], True), (wanted[1], False)]


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
