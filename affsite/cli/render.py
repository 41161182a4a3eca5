"""``affsite render``: draw products as the site's boxes and print the HTML fragment, for
static pages and site generators (link ``static/css/box.css`` from the page, or inline it).

The products come through the site's catalog (its cache, the shared quota and limits), the
look from the settings page (language, disclosure, default template and theme, button text,
what an unavailable product shows); ``--template`` and ``--theme`` choose for this run."""

from __future__ import annotations

import click

from affsite.cli import cli
from affsite.cli.products import fail_unless_fetched, look_up
from affsite.render import BoxTemplate, Options, Theme, get_renderer
from affsite.settings import settings_store


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
    answers = look_up(references)
    options = Options(theme=Theme(theme) if theme else None)
    chosen = BoxTemplate(template) if template else None
    html = get_renderer().products(answers, settings_store().load(), chosen, options)
    if html:
        click.echo(html)
    fail_unless_fetched(answers)
