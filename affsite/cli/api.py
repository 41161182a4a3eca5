"""``affsite check`` and ``affsite products``: talk to the configured gateway from a shell.

The formatting functions (``format_table``, ``format_json``) take the public JSON items of
``affsite.public_json`` so any source of products (the client directly, or a cache in front
of it) prints the same way.
"""

from __future__ import annotations

import json
import sys
import unicodedata
from collections.abc import Mapping, Sequence
from typing import Any, NoReturn

import click

from affsite.aliexpress.models import global_id
from affsite.cli import cli
from affsite.errors import ProductIdError
from affsite.public_json import NOT_PROMOTABLE
from affsite.settings import Settings

_TITLE_WIDTH = 60


# -- settings and input --------------------------------------------------------------------


def current_settings() -> Settings:
    """The settings in force for the current app: its store, environment overrides applied."""
    from flask import current_app

    from affsite import settings as settings_module

    store = current_app.extensions.get(settings_module.EXTENSION_KEY)
    if store is None:
        store = settings_module.SettingsStore(current_app.instance_path)
    loaded: Settings = store.load()
    return loaded


def resolve_reference(reference: str) -> str:
    """A product id from an id or a product URL.

    :raise ProductIdError: the text names no product.
    """
    try:
        from affsite import product_ids
    except ImportError:
        product_ids = None  # type: ignore[assignment]
    resolve = getattr(product_ids, "resolve", None)
    if resolve is None:
        product_id = global_id(reference)
        if product_id is None:
            raise ProductIdError(f"not a product id: {printable(reference)!r}")
        return product_id
    resolution = resolve(reference)
    product_id = getattr(resolution, "id", None)
    if not product_id:
        problem = getattr(resolution, "error", None) or "no product found in it"
        raise ProductIdError(f"{printable(reference)!r}: {printable(str(problem))}")
    return str(product_id)


# -- output ----------------------------------------------------------------------------------


def printable(value: str, limit: int | None = None) -> str:
    """Text safe for a terminal: control and format characters (escape sequences, bidi
    overrides) become spaces; optionally cut to ``limit`` characters with an ellipsis."""
    cleaned = "".join(
        " " if unicodedata.category(ch) in ("Cc", "Cf", "Zl", "Zp") else ch for ch in value
    )
    cleaned = " ".join(cleaned.split())
    if limit is not None and len(cleaned) > limit:
        cleaned = cleaned[: limit - 1] + "…"
    return cleaned


def _money_text(money: Mapping[str, Any] | None) -> str:
    if not money:
        return "-"
    return f"{money.get('amount')} {money.get('currency')}"


def format_table(items: Sequence[Mapping[str, Any]]) -> str:
    """A readable table of public JSON items (available or not), one line per item."""
    rows = [("ID", "PRICE", "WAS", "ORDERS", "RATING", "TITLE")]
    for item in items:
        if item.get("available"):
            rating = item.get("rating_percent")
            orders = item.get("orders")
            rows.append(
                (
                    str(item.get("id")),
                    _money_text(item.get("price")),
                    _money_text(item.get("original_price")),
                    str(orders) if orders is not None else "-",
                    f"{rating}%" if rating is not None else "-",
                    printable(str(item.get("title") or ""), _TITLE_WIDTH) or "-",
                )
            )
        else:
            reason = str(item.get("reason") or NOT_PROMOTABLE).replace("_", " ")
            rows.append((str(item.get("id")), "-", "-", "-", "-", f"(not available: {reason})"))
    widths = [max(len(row[column]) for row in rows) for column in range(5)]
    lines = []
    for row in rows:
        cells = [row[column].ljust(widths[column]) for column in range(5)]
        cells[3] = row[3].rjust(widths[3])
        lines.append("  ".join([*cells, row[5]]).rstrip())
    return "\n".join(lines)


def format_json(items: Sequence[Mapping[str, Any]]) -> str:
    """The JSON array ``--json`` prints."""
    return json.dumps(list(items), ensure_ascii=False, indent=2)


def fail(problem: str, fix: str | None, *, code: int = 1) -> NoReturn:
    """Print a problem and its fix on stderr and exit with ``code``."""
    click.echo(f"Problem: {printable(problem)}", err=True)
    if fix:
        click.echo(f"Fix: {fix}", err=True)
    sys.exit(code)


# -- commands --------------------------------------------------------------------------------


@cli.command("check")
@click.option(
    "--json", "as_json", is_flag=True, help='Print {"ok", "message", "fix", "demo_mode"}.'
)
def check_command(as_json: bool) -> None:
    """Call the configured gateway once; print OK, or the problem and how to fix it.

    The call goes through the shared speed limiter and is paid from the admin reserve of
    the daily quota, exactly like the settings page's "Test connection" button. Exit status
    0 when the gateway accepted the call, 1 otherwise.
    """
    from affsite.catalog import get_catalog

    settings = current_settings()
    result = get_catalog().check_connection()
    if as_json:
        report = {
            "ok": result.ok,
            "message": result.message,
            "fix": result.fix,
            "demo_mode": settings.demo_mode,
        }
        click.echo(json.dumps(report, ensure_ascii=False))
        sys.exit(0 if result.ok else 1)
    if not result.ok:
        fail(result.message, result.fix)
    click.echo("OK")
    if settings.demo_mode:
        click.echo(
            "Note: no App Key and App Secret are set, so this is the demo sandbox.", err=True
        )


@cli.command("products")
@click.argument("references", nargs=-1, required=True, metavar="ID_OR_URL...")
@click.option("--json", "as_json", is_flag=True, help="Print the public JSON array instead.")
def products_command(references: tuple[str, ...], as_json: bool) -> None:
    """Look products up (through the cache, the shared quota and limits) and print them in
    the order given."""
    from affsite.cli.catalog import show_products

    show_products(references, as_json)
