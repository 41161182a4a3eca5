"""``affsite stats``: clicks on boxes (``/go/<id>``) per product and UTC day, and
click-through per view, as the dashboard shows them; ``--json`` for scripts.
"""

from __future__ import annotations

import json

import click

from affsite.catalog import ClickReport, get_catalog
from affsite.catalog.clicks import MAX_DAYS
from affsite.cli import cli, number_option
from affsite.cli.output import printable

_TITLE_WIDTH = 50
DAY_COLUMNS = 14  # longer windows print totals only (the JSON always has every day)


def percent(ratio: float | None) -> str:
    """
    >>> percent(0.0354), percent(None)
    ('3.5%', '-')
    """
    return f"{ratio:.1%}" if ratio is not None else "-"


def report_lines(report: ClickReport) -> list[str]:
    """The readable table ``affsite stats`` prints (titles made safe for a terminal)."""
    first, last = report.days[0], report.days[-1]
    lines = [
        f"Clicks on boxes, {first} to {last} (UTC days): {report.clicks} click(s), "
        f"{report.views} view(s), click-through {percent(report.click_through)}"
    ]
    if not report.products:
        lines.append("No clicks or views counted in this period.")
        return lines
    days = report.days if len(report.days) <= DAY_COLUMNS else ()
    header = ["ID", *(day[5:] for day in days), "CLICKS", "VIEWS", "CTR"]
    rows = [header]
    for item in report.products:
        per_day = item.clicks_per_day if days else ()
        rows.append(
            [
                item.product_id,
                *(str(n) for n in per_day),
                str(item.clicks),
                str(item.views),
                percent(item.click_through),
            ]
        )
    totals = report.clicks_per_day if days else ()
    rows.append(
        [
            "ALL",
            *(str(n) for n in totals),
            str(report.clicks),
            str(report.views),
            percent(report.click_through),
        ]
    )
    titles = ["TITLE", *(printable(item.title or "", _TITLE_WIDTH) for item in report.products), ""]
    widths = [max(len(row[column]) for row in rows) for column in range(len(header))]
    lines.append("")
    for row, title in zip(rows, titles, strict=True):
        cells = [row[0].ljust(widths[0])] + [
            cell.rjust(width) for cell, width in zip(row[1:], widths[1:], strict=True)
        ]
        lines.append("  ".join([*cells, title]).rstrip())
    if report.products_counted > len(report.products):
        lines.append(f"({report.products_counted - len(report.products)} more product(s))")
    return lines


@cli.command("stats")
@number_option("--days", default=7, low=1, high=MAX_DAYS, help="UTC days to cover, ending today.")
@number_option("--top", default=20, low=0, help="Most products to list (most clicked first).")
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of text.")
def stats_command(days: int, top: int, as_json: bool) -> None:
    """Clicks on boxes per product and day, and click-through per view."""
    report = get_catalog().clicks.report(days=days, top=top)
    if as_json:
        click.echo(json.dumps(report.to_json(), indent=2, ensure_ascii=False))
        return
    for line in report_lines(report):
        click.echo(line)
