"""``affsite products``: look products up from a shell, through the site's catalog (its cache,
the shared quota and limits), and print them as a table or as the public JSON array."""

from __future__ import annotations

from collections.abc import Sequence

import click

from affsite.catalog import ProductAnswer, Purpose, Status, get_catalog
from affsite.cli import cli
from affsite.cli.output import fail, format_json, format_table, printable
from affsite.errors import ProductIdError
from affsite.product_ids import Follower, resolve

_GENERIC_FIX = "Run `affsite cache stats` to see the recent gateway errors."


@cli.command("products")
@click.argument("references", nargs=-1, required=True, metavar="ID_OR_URL...")
@click.option("--json", "as_json", is_flag=True, help="Print the public JSON array instead.")
def products_command(references: tuple[str, ...], as_json: bool) -> None:
    """Look products up (through the cache, the shared quota and limits) and print them in
    the order given.

    Exit status 1 when some could not be fetched, 2 when an input names no product (nothing
    is looked up then).
    """
    answers = look_up(references)
    items = [answer.to_json() for answer in answers]
    click.echo(format_json(items) if as_json else format_table(items))
    fail_unless_fetched(answers)


def look_up(references: Sequence[str]) -> list[ProductAnswer]:
    """The catalog's answers for ids or product URLs, in the order given; exits with status 2
    (nothing looked up) when an input names no product."""
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
    return answers


def fail_unless_fetched(answers: Sequence[ProductAnswer]) -> None:
    """Exit with status 1 and the first problem when some products could not be fetched."""
    failed = [answer for answer in answers if answer.status is Status.FALLBACK]
    if failed:
        first = failed[0]
        problem = first.problem or (
            f"{len(failed)} product(s) could not be fetched ({first.reason})"
        )
        fail(problem, first.fix or _GENERIC_FIX)


def resolve_references(references: Sequence[str], follower: Follower) -> list[str]:
    """Product ids from ids or product URLs (short links followed with ``follower``).

    :raise ProductIdError: a text names no product.
    """
    ids = []
    for reference in references:
        resolution = resolve(reference, follower=follower)
        if resolution.id is None:
            problem = printable(resolution.error or "no product found in it")
            raise ProductIdError(f"{printable(reference)!r}: {problem}")
        ids.append(resolution.id)
    return ids
