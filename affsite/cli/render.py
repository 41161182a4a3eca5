"""``affsite render``: draw products as the site's boxes and print the HTML fragment, for
static pages and site generators (link ``static/css/box.css`` from the page, or inline it).

The products come through the site's catalog (its cache, the shared quota and limits), the
look from the settings page (language, disclosure, default template and theme, button text,
what an unavailable product shows); ``--template``, ``--theme``, ``--title`` and ``--field``
choose for this run."""

from __future__ import annotations

import click

from affsite.cli import cli
from affsite.cli.products import fail_unless_fetched, look_up
from affsite.render import BoxField, BoxTemplate, Options, Theme, get_renderer
from affsite.render.choices import MAX_TITLE
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
@click.option(
    "--title",
    metavar="TEXT",
    help=(
        "Your own title: one product's, or the heading of several (a table's caption); "
        f"one line of at most {MAX_TITLE} characters."
    ),
)
@click.option(
    "--field",
    type=click.Choice([f.value for f in BoxField]),
    default=BoxField.PRICE.value,
    show_default=True,
    help="What --template field shows.",
)
def render_command(
    references: tuple[str, ...],
    template: str | None,
    theme: str | None,
    title: str | None,
    field: str,
) -> None:
    """Print the HTML of products drawn as boxes, in the order given.

    Exit status 1 when some could not be fetched (their boxes say so, as on the site), 2
    when an input names no product or an option is wrong (nothing is looked up or printed
    then).
    """
    if title is not None and len(title) > MAX_TITLE:
        raise click.BadParameter(
            f"is {len(title)} characters long; shorten it to {MAX_TITLE} or fewer",
            param_hint="--title",
        )
    answers = look_up(references)
    options = Options(theme=Theme(theme) if theme else None, title=title, field=BoxField(field))
    chosen = BoxTemplate(template) if template else None
    html = get_renderer().products(answers, settings_store().load(), chosen, options)
    if html:
        click.echo(html)
    fail_unless_fetched(answers)
