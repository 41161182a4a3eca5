"""``affsite expand``: a text with ``[aliexpress …]`` shortcodes in, the expanded HTML out, for
static site generators and build steps (link ``static/css/box.css`` from the page).

Every product of the text comes from one catalog request (the site's cache, the shared quota
and limits), drawn with the look chosen on the settings page. A shortcode that cannot be
drawn becomes an HTML comment saying why, and is reported on stderr.

``--check`` lists those problems, ``FILE:line N: <shortcode> <reason>``, without asking the
catalog for products, and exits 1 when there are any: for the CI of a content repository. It
takes several files. ``--json`` prints ``{"html", "problems"}`` (the shape of
``POST /api/v1/expand``), or with ``--check`` ``{"problems"}``, each naming its file.
"""

from __future__ import annotations

import json
from typing import IO, Any

import click

from affsite.catalog import Purpose, get_catalog
from affsite.cli import cli
from affsite.cli.output import fail, printable
from affsite.cli.products import fail_unless_fetched
from affsite.render import get_renderer
from affsite.shortcodes import Problem
from affsite.shortcodes.site import expand_text, find_problems, problem_json

_STDIN = "<stdin>"


@cli.command("expand")
@click.argument("files", nargs=-1, type=click.File("rb"), metavar="[FILE|-]...")
@click.option("--check", is_flag=True, help="Only list the problems; exit 1 when there are any.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON for scripts.")
def expand_command(files: tuple[IO[bytes], ...], check: bool, as_json: bool) -> None:
    """Expand the shortcodes of FILE (UTF-8; none or - reads stdin) and print the HTML.

    Exit status 1 when some products could not be fetched (their boxes say so, as on the
    site) or, with --check, when a shortcode has a problem; 2 when a file is not UTF-8.
    """
    inputs = [(_name(handle), _read(handle)) for handle in files or (click.open_file("-", "rb"),)]
    if check:
        _check(inputs, as_json=as_json)
        return
    if len(inputs) != 1:
        raise click.UsageError("Expand one file at a time (--check takes several).")
    name, text = inputs[0]
    catalog = get_catalog()
    expanded = expand_text(text, catalog, get_renderer(), purpose=Purpose.CLI)
    catalog.flush()
    if as_json:
        problems = [problem_json(problem) for problem in expanded.problems]
        click.echo(json.dumps({"html": str(expanded.html), "problems": problems}, indent=2))
    else:
        click.echo(str(expanded.html), nl=False)
        for problem in expanded.problems:
            click.echo(f"Problem: {_where(name, problem)}", err=True)
    fail_unless_fetched(expanded.failed)


def _check(inputs: list[tuple[str, str]], *, as_json: bool) -> None:
    follower = get_catalog().short_link_follower()
    try:
        found = [
            (name, problem)
            for name, text in inputs
            for problem in find_problems(text, follower=follower)
        ]
    finally:
        follower.close()
    if as_json:
        listed: list[dict[str, Any]] = [
            {"file": name, **problem_json(problem)} for name, problem in found
        ]
        click.echo(json.dumps({"problems": listed}, indent=2))
    else:
        for name, problem in found:
            click.echo(_where(name, problem))
    if found:
        raise SystemExit(1)


def _where(name: str, problem: Problem) -> str:
    """``FILE:line N: <shortcode> <reason>``, safe for a terminal."""
    return printable(f"{name}:{problem}")


def _name(handle: IO[bytes]) -> str:
    name = getattr(handle, "name", "-")
    return _STDIN if name in ("-", "<stdin>") or not isinstance(name, str) else name


def _read(handle: IO[bytes]) -> str:
    data = handle.read()
    try:
        return data.decode("utf-8-sig")  # a byte-order mark some editors write is not text
    except UnicodeDecodeError as error:
        problem = f"{_name(handle)} is not UTF-8 text ({error.reason} at byte {error.start})."
        fail(problem, "Save the file as UTF-8.", code=2)
