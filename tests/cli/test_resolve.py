"""``affsite resolve``: one output line per input, in order; exit status 1 if any failed."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest
from click.testing import CliRunner, Result
from flask import Flask
from flask.cli import ScriptInfo

from affsite import create_app
from affsite.cli import cli
from affsite.product_ids import REGIONAL_OFFSET, ShortLinkFollower

G = "1005001513148147"
US = str(int(G) + REGIONAL_OFFSET)
STORE = "https://www.aliexpress.com/store/1102181980"
SHORT = "https://s.click.aliexpress.com/e/_DdGYnJf"


def test_arguments_print_one_line_each_in_order(runner: CliRunner) -> None:
    result = runner.invoke(
        cli, ["resolve", "--offline", f"https://www.aliexpress.us/item/{US}.html", G]
    )

    assert result.exit_code == 0
    assert result.output.splitlines() == [G, G]


def test_failures_print_error_lines_and_exit_1(runner: CliRunner) -> None:
    result = runner.invoke(cli, ["resolve", "--offline", STORE, G, SHORT, ""])

    assert result.exit_code == 1
    assert result.output.splitlines() == [
        "error: this is a store page, not a product",
        G,
        "error: needs the network to follow the short link; run without --offline",
        "error: empty input: paste an AliExpress product address or a product id",
    ]


def test_stdin_one_input_per_line_blank_lines_skipped(runner: CliRunner) -> None:
    stdin = f"{G}\r\n\n   \nhttps://www.aliexpress.com/item/{US}.html\n12345\n"

    result = runner.invoke(cli, ["resolve", "--offline"], input=stdin)

    assert result.exit_code == 1
    assert result.output.splitlines() == [
        G,
        G,
        "error: 12345 is not a product id: it has 5 digits; product ids have 6 to 19",
    ]


def test_json_lines(runner: CliRunner) -> None:
    result = runner.invoke(
        cli, ["resolve", "--offline", "--json", f"www.aliexpress.us/item/{US}.html", STORE]
    )

    lines = [json.loads(line) for line in result.output.splitlines()]
    assert lines == [
        {
            "input": f"www.aliexpress.us/item/{US}.html",
            "id": G,
            "raw_id": US,
            "form": "item",
            "error": None,
        },
        {
            "input": STORE,
            "id": None,
            "raw_id": None,
            "form": None,
            "error": "this is a store page, not a product",
        },
    ]
    assert result.exit_code == 1


def test_invalid_bytes_on_stdin_fail_only_their_line(runner: CliRunner) -> None:
    result = runner.invoke(cli, ["resolve", "--offline"], input=b"\xff\xfe123\n" + G.encode())

    assert result.exit_code == 1
    lines = result.output.splitlines()
    assert lines[0].startswith("error: ") and lines[1] == G


def test_errors_never_echo_terminal_control_characters(runner: CliRunner) -> None:
    result = runner.invoke(cli, ["resolve", "--offline", "https://\x1b[2Jevil.example/"])

    assert "\x1b" not in result.output
    assert result.output.startswith("error: ")


def site_with_played_short_links(instance: Path, handler: Callable[..., httpx.Response]) -> Flask:
    """The app on ``instance``, its catalog's short-link follower answered by ``handler``."""
    from affsite.cache import open_stores
    from affsite.catalog import Catalog, init_app
    from affsite.settings import settings_store

    app = create_app({"INSTANCE_PATH": str(instance)})

    def follower(cache: Any) -> ShortLinkFollower:
        return ShortLinkFollower(
            transport=httpx.MockTransport(handler),
            resolve_host=lambda host, port: ["47.246.0.10"],
            cache=cache,
        )

    with app.app_context():
        settings = settings_store().load
    init_app(
        app,
        Catalog(settings=settings, stores=open_stores(instance / "cache"), short_links=follower),
    )
    return app


def test_without_offline_short_links_are_followed(instance: Path) -> None:
    asked: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        asked.append(str(request.url))
        return httpx.Response(
            302, headers={"Location": f"https://www.aliexpress.com/item/{G}.html"}
        )

    def run(*args: str) -> Result:
        app = site_with_played_short_links(instance, handler)
        return CliRunner().invoke(cli, list(args), obj=ScriptInfo(create_app=lambda: app))

    result = run("resolve", SHORT, SHORT)

    assert result.exit_code == 0, result.output
    assert result.output.splitlines() == [G, G]
    assert len(asked) == 1

    # A later run (another process, a web worker) finds the answer in the site's cache.
    again = run("resolve", "--json", SHORT)
    assert again.exit_code == 0
    assert json.loads(again.output)["id"] == G
    assert len(asked) == 1


@pytest.mark.slow
def test_the_installed_command_reads_standard_input() -> None:
    lines = [f"https://www.aliexpress.com/item/{G}.html", "", "javascript:alert(1)", US]

    completed = subprocess.run(
        [sys.executable, "-c", "from affsite.cli import main; main()", "resolve", "--offline"],
        input="\n".join(lines) + "\n",
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )

    assert completed.returncode == 1
    assert completed.stdout.splitlines() == [
        G,
        "error: javascript: addresses are not AliExpress product pages; paste an https:// address",
        G,
    ]
