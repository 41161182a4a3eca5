"""``affsite expand``: shortcodes in a file expanded through the site's catalog, for build steps;
``--check`` for a content repository's CI."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest
from click.testing import CliRunner

from affsite.aliexpress.sandbox import Sandbox
from affsite.cli import cli
from affsite.settings import Settings

from .conftest import DETAIL, Run

BAD_ID = '[aliexpress id="12"]'


def article(tmp_path: Path, text: str, name: str = "post.html") -> str:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return str(path)


def test_expand_prints_the_text_with_boxes_in_place(
    run: Run, tmp_path: Path, promotable: list[str]
) -> None:
    text = f'<p>Our pick:</p>\n[aliexpress {promotable[0]} template="compact"]\n<p>End</p>\n'
    result = run("expand", article(tmp_path, text))
    assert result.exit_code == 0, result.output
    html = result.stdout
    assert html.startswith('<p>Our pick:</p>\n<div class="affsite affsite-compact')
    assert f'data-product-id="{promotable[0]}"' in html
    assert html.endswith("</div>\n<p>End</p>\n")  # the text around the tag, byte for byte
    assert "[aliexpress" not in html
    assert result.stderr == ""


def test_a_100_tag_article_costs_one_catalog_call_and_batched_gateway_calls(
    run: Run, tmp_path: Path, sandbox: Sandbox, promotable: list[str]
) -> None:
    products = promotable[:60]
    tags = [f"[aliexpress {products[i % 60]}]" for i in range(100)]
    path = article(tmp_path, "\n".join(tags))
    result = run("expand", path)
    assert result.exit_code == 0, result.output
    assert result.stdout.count("data-product-id=") == 100
    cold = sandbox.call_count(DETAIL)
    assert cold <= math.ceil(60 / Settings().batch_size)
    assert run("expand", path).exit_code == 0
    assert sandbox.call_count(DETAIL) == cold  # warm: no gateway call at all


def test_problems_become_comments_and_are_reported_on_stderr(
    run: Run, tmp_path: Path, promotable: list[str]
) -> None:
    path = article(tmp_path, f"a\n{BAD_ID}\n[aliexpress {promotable[0]}]")
    result = run("expand", path)
    assert result.exit_code == 0
    assert "<!-- affsite: [aliexpress id=&quot;12&quot;]" not in result.stdout
    assert '<!-- affsite: [aliexpress id="12"] id: 12 is not a product id' in result.stdout
    assert result.stderr.startswith(f'Problem: {path}:line 2: [aliexpress id="12"] id: 12 is')


def test_stdin_is_read_when_no_file_or_a_dash_is_given(run: Run, promotable: list[str]) -> None:
    text = f"x [aliexpress {promotable[1]}] y"
    for args in (("expand",), ("expand", "-")):
        result = run(*args, input=text)
        assert result.exit_code == 0, result.output
        assert result.stdout.startswith('x <div class="affsite')
        assert result.stdout.endswith("</div> y")


def test_json_has_the_html_and_the_problems(run: Run, promotable: list[str]) -> None:
    result = run("expand", "--json", input=f"[aliexpress {promotable[0]}]\n{BAD_ID}")
    assert result.exit_code == 0, result.output
    answer = json.loads(result.stdout)
    assert set(answer) == {"html", "problems"}
    assert f'data-product-id="{promotable[0]}"' in answer["html"]
    [problem] = answer["problems"]
    assert problem["line"] == 2 and problem["shortcode"] == BAD_ID
    assert problem["reason"].startswith("id: 12 is not a product id")


def test_check_exits_0_and_prints_nothing_for_a_clean_text(
    run: Run, tmp_path: Path, sandbox: Sandbox, promotable: list[str]
) -> None:
    result = run("expand", "--check", article(tmp_path, f"[aliexpress {promotable[0]}]"))
    assert result.exit_code == 0, result.output
    assert result.stdout == ""
    assert sandbox.call_count() == 0  # checking asks the catalog for no product


def test_check_lists_every_problem_of_every_file_and_exits_1(
    run: Run, tmp_path: Path, sandbox: Sandbox
) -> None:
    first = article(tmp_path, f"ok\n\n{BAD_ID}\n", "a.html")
    second = article(
        tmp_path,
        '[aliexpress ids="1005004757833857,33006951782" template=link title="Both"]\n'
        '[aliexpress nope="1"]',
        "b.html",
    )
    result = run("expand", "--check", first, second)
    assert result.exit_code == 1
    lines = result.stdout.splitlines()
    reason = "id: 12 is not a product id: it has 2 digits; product ids have 6 to 19"
    assert lines[0] == f"{first}:line 3: {BAD_ID} {reason}"
    assert lines[1].startswith(f"{second}:line 1: [aliexpress ids=")
    assert "template cannot show" in lines[1]  # what drawing would refuse
    assert lines[2].startswith(f'{second}:line 2: [aliexpress nope="1"] unknown attribute "nope"')
    assert len(lines) == 3
    assert sandbox.call_count() == 0


def test_check_json_names_the_file_of_each_problem(run: Run, tmp_path: Path) -> None:
    path = article(tmp_path, BAD_ID)
    result = run("expand", "--check", "--json", path)
    assert result.exit_code == 1
    [problem] = json.loads(result.stdout)["problems"]
    assert problem == {
        "file": path,
        "line": 1,
        "shortcode": BAD_ID,
        "reason": "id: 12 is not a product id: it has 2 digits; product ids have 6 to 19",
    }


def test_check_reads_stdin_too(run: Run) -> None:
    result = run("expand", "--check", input=f"x\n{BAD_ID}")
    assert result.exit_code == 1
    assert result.stdout.startswith("<stdin>:line 2: ")


def test_problems_printed_to_a_terminal_carry_no_control_characters(run: Run) -> None:
    result = run("expand", "--check", input='[aliexpress id="\x1b[31m12\u202e"]')
    assert result.exit_code == 1
    assert "\x1b" not in result.stdout and "\u202e" not in result.stdout


def test_several_files_are_refused_without_check(run: Run, tmp_path: Path) -> None:
    result = run("expand", article(tmp_path, "a", "a.html"), article(tmp_path, "b", "b.html"))
    assert result.exit_code == 2
    assert "--check takes several" in result.output


def test_a_file_that_is_not_utf8_exits_2(run: Run, tmp_path: Path) -> None:
    path = tmp_path / "latin1.html"
    path.write_bytes("caf\xe9 [aliexpress 1]".encode("latin-1"))
    result = run("expand", str(path))
    assert result.exit_code == 2
    assert "is not UTF-8 text" in result.stderr and result.stdout == ""


def test_a_failing_gateway_still_prints_the_text_and_exits_1(
    run: Run, sandbox: Sandbox, promotable: list[str]
) -> None:
    sandbox.inject("server_error", status=502)
    result = run("expand", input=f"<p>x</p>[aliexpress {promotable[0]}]")
    assert result.exit_code == 1
    assert result.stdout.startswith("<p>x</p>")
    assert "Problem:" in result.stderr and "Fix:" in result.stderr


@pytest.mark.parametrize("flag", [[], ["--check"]])
def test_in_demo_mode_without_a_site_of_its_own(runner: CliRunner, flag: list[str]) -> None:
    result = runner.invoke(cli, ["expand", *flag], input="[aliexpress 1005004757833857]")
    assert result.exit_code == 0, result.output
    if not flag:
        assert 'data-product-id="1005004757833857"' in result.stdout
