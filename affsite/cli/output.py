"""What the commands print: text safe for a terminal, the product table and the JSON array,
and a problem with its fix.

``format_table`` and ``format_json`` take the public JSON items of the catalog
(``ProductAnswer.to_json()``), so every command that shows products prints them the same way.
"""

from __future__ import annotations

import json
import sys
import unicodedata
from collections.abc import Mapping, Sequence
from typing import Any, NoReturn

import click

from affsite.catalog import Reason

_TITLE_WIDTH = 60


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
            reason = str(item.get("reason") or Reason.NOT_PROMOTABLE).replace("_", " ")
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
