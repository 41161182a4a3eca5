"""``affsite render``: draw products as the site's boxes and print the HTML fragment, for
static pages and site generators (link ``static/css/box.css`` from the page, or inline it).

The products come through the site's catalog (its cache, the shared quota and limits), the
look from the settings page (language, disclosure, default template and theme, button text,
what an unavailable product shows); ``--template`` and ``--theme`` choose for this run."""

from __future__ import annotations

import click

from affsite.catalog import Purpose, Status, get_catalog
from affsite.cli import cli
from affsite.cli.output import fail
from affsite.cli.products import resolve_references
from affsite.errors import ProductIdError
from affsite.render import BoxTemplate, Options, Theme, get_renderer
from affsite.settings import settings_store

_GENERIC_FIX = "Run `affsite cache stats` to see the recent gateway errors."


@cli.command("render")
@click.argument("references", nargs=-1, required=True, metavar="ID_OR_URL...")
@click.option(
    "--template",
    type=click.Choice([t.value for t in BoxTemplate]),
    help="How to draw them (default: the template chosen on the settings page).",
)
@click.option(
    "--theme",
    type=click.Choice([t.value for t in Theme]),
    help="Colours (default: the theme chosen on the settings page).",
)
def render_command(references: tuple[str, ...], template: str | None, theme: str | None) -> None:
    """Print the HTML of products drawn as boxes, in the order given.

    Exit status 1 when some could not be fetched (their boxes say so, as on the site), 2
    when an input names no product (nothing is looked up or printed then).
    """
    catalog = get_catalog()
    follower = catalog.short_link_follower()
    try:
        ids = resolve_references(references, follower)
    except ProductIdError as error:
        fail(error.message, error.fix, code=2)
    finally:
        follower.close()
    answers = catalog.products(ids, purpose=Purpose.CLI)
    catalog.flush()
    options = Options(theme=Theme(theme) if theme else None)
    chosen = BoxTemplate(template) if template else None
    html = get_renderer().products(answers, settings_store().load(), chosen, options)
    if html:
        click.echo(html)
    failed = [answer for answer in answers if answer.status is Status.FALLBACK]
    if failed:
        first = failed[0]
        problem = first.problem or (
            f"{len(failed)} product(s) could not be fetched ({first.reason})"
        )
        fail(problem, first.fix or _GENERIC_FIX)
