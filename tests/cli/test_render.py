"""``affsite render``: products through the site's catalog, drawn as the site's boxes."""

from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner

from affsite.aliexpress.sandbox import Sandbox
from affsite.cli import cli
from affsite.settings import SettingsStore

from .conftest import DETAIL, Run


def test_render_in_demo_mode(runner: CliRunner) -> None:
    from affsite.catalog.connection import demo_sandbox

    wanted = demo_sandbox().catalog.promotable_ids()[3]
    result = runner.invoke(cli, ["render", wanted])
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith('<div class="affsite affsite-box affsite-theme-light"')
    assert f'data-product-id="{wanted}"' in result.stdout
    assert 'rel="sponsored nofollow noopener"' in result.stdout


def test_template_and_theme_are_chosen_per_run(
    run: Run, sandbox: Sandbox, promotable: list[str]
) -> None:
    asked = [promotable[2], f"https://www.aliexpress.com/item/{promotable[0]}.html"]
    result = run("render", "--template", "grid", "--theme", "dark", *asked)
    assert result.exit_code == 0, result.output
    html = result.stdout
    assert html.startswith('<div class="affsite affsite-grid affsite-theme-dark" dir="ltr">')
    first, second = (html.index(f'data-product-id="{pid}"') for pid in promotable[2::-2])
    assert first < second  # in the order asked
    assert html.count('class="product-card"') == 2

    again = run("render", "--template", "table", *asked)
    assert "<caption>Product comparison</caption>" in again.stdout
    assert sandbox.call_count(DETAIL) == 1  # through the cache


def test_the_settings_page_chooses_the_defaults(
    run: Run, instance: Path, promotable: list[str]
) -> None:
    SettingsStore(instance).save(
        {"box_template": "compact", "box_theme": "auto", "button_text": "Buy <now>"}
    )
    html = run("render", promotable[0]).stdout
    assert html.startswith('<div class="affsite affsite-compact affsite-theme-auto"')
    assert ">Buy &lt;now&gt;<" in html


def test_hostile_titles_come_out_escaped(run: Run, sandbox: Sandbox) -> None:
    hostile = sandbox.catalog.hostile_ids()
    result = run("render", "--template", "list", *hostile)
    assert result.exit_code == 0, result.output
    assert "<script" not in result.stdout and "<img src=x" not in result.stdout
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in result.stdout


def test_unavailable_products_are_drawn_as_the_settings_say(
    run: Run, sandbox: Sandbox, instance: Path
) -> None:
    hidden = sandbox.catalog.not_promotable_ids()[0]
    shown = run("render", hidden)
    assert shown.exit_code == 0
    assert "This product is not available right now." in shown.stdout
    SettingsStore(instance).save({"unavailable_display": "hide"})
    left_out = run("render", hidden)
    assert left_out.exit_code == 0 and left_out.stdout == ""


def test_a_failing_gateway_exits_1_with_problem_and_fix(
    run: Run, sandbox: Sandbox, promotable: list[str]
) -> None:
    sandbox.inject("server_error", status=502)
    result = run("render", promotable[0])
    assert result.exit_code == 1
    assert "not available right now" in result.stdout
    assert "Problem:" in result.stderr and "502" in result.stderr and "Fix:" in result.stderr


def test_input_that_names_no_product_prints_nothing(run: Run, sandbox: Sandbox) -> None:
    result = run("render", "not a product")
    assert result.exit_code == 2 and result.stdout == ""
    assert sandbox.call_count() == 0


def test_unknown_templates_and_themes_are_refused(run: Run, sandbox: Sandbox) -> None:
    for args in (["--template", "../box"], ["--theme", "neon"]):
        result = run("render", *args, "1005004757833857")
        assert result.exit_code == 2 and "Invalid value" in result.stderr
    assert sandbox.call_count() == 0


def test_a_title_names_one_product_or_heads_several(
    run: Run, sandbox: Sandbox, promotable: list[str]
) -> None:
    one = run("render", "--template", "list", "--title", "My <pick>", promotable[0])
    assert one.exit_code == 0, one.output
    assert '<h3 class="product-title" dir="auto">My &lt;pick&gt;</h3>' in one.stdout
    table = run("render", "--template", "table", "--title", "Which mug?", *promotable[:2])
    assert '<caption dir="auto">Which mug?</caption>' in table.stdout
    assert "Product comparison" not in table.stdout


def test_a_title_over_the_cap_is_refused_with_the_cap(run: Run, sandbox: Sandbox) -> None:
    result = run("render", "--title", "x" * 201, "1005004757833857")
    assert result.exit_code == 2 and "200 or fewer" in result.stderr
    assert sandbox.call_count() == 0


def test_the_field_template_shows_the_field_asked_for(
    run: Run, sandbox: Sandbox, promotable: list[str]
) -> None:
    result = run("render", "--template", "field", "--field", "orders", promotable[0])
    assert result.exit_code == 0, result.output
    assert 'class="product-orders"' in result.stdout
    refused = run("render", "--template", "field", "--field", "stock", promotable[0])
    assert refused.exit_code == 2 and "Invalid value" in refused.stderr
