"""``affsite quota``, ``affsite cache stats|clear`` and ``affsite refresh``: the site's catalog
(its cache, the shared quota and limits) from a shell.

``affsite refresh`` is meant for cron: it renews the site's lists and the entries that expire
soonest (most viewed first) within a budget of gateway calls, so visitors rarely meet an
expired product or list.
"""

from __future__ import annotations

import json
import sys
from datetime import UTC, datetime
from typing import Any

import click

from affsite.catalog import CatalogStats, Status, get_catalog
from affsite.cli import cli, number_option
from affsite.cli.output import printable
from affsite.moments import duration, moment


def when(epoch: float) -> str:
    """``2024-06-01 16:00 UTC (local: 2024-06-01 18:00 CEST)``."""
    texts = moment(epoch)
    return f"{texts['utc']} (local: {texts['local']})"


def _iso(epoch: float | None) -> str | None:
    if epoch is None:
        return None
    return datetime.fromtimestamp(epoch, tz=UTC).isoformat()


# --- quota -------------------------------------------------------------------------------------


@cli.command("quota")
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of text.")
def quota_command(as_json: bool) -> None:
    """Gateway requests used and left today, and when the count resets (00:00 Beijing)."""
    status = get_catalog().quota()
    if as_json:
        data = status.to_json()
        data["resets_at_local"] = datetime.fromtimestamp(status.reset_at).astimezone().isoformat()
        click.echo(json.dumps(data, indent=2))
        return
    click.echo(f"Used today:  {status.used} of {status.limit}")
    click.echo(
        f"Left:        {status.left} ({status.view_left} for pages, "
        f"{min(status.reserve, status.left)} kept for admin actions)"
    )
    click.echo(f"Quota day:   {status.day} (Beijing time)")
    click.echo(f"Resets at:   {when(status.reset_at)}, in {duration(status.resets_in)}")


# --- cache -------------------------------------------------------------------------------------


@cli.group("cache")
def cache_group() -> None:
    """Inspect or empty the product cache."""


def stats_lines(stats: CatalogStats) -> list[str]:
    ratio = f"{stats.hit_ratio:.1%}" if stats.hit_ratio is not None else "no answers yet"
    counts = " · ".join(
        f"{status} {stats.counters.get(status, 0)}"
        for status in (Status.HIT, Status.MISS, Status.STALE, Status.NEGATIVE, Status.FALLBACK)
    )
    quota = stats.quota
    lines = [
        f"Cache:       {stats.cache_state} - {stats.cache_summary}",
        f"Entries:     {stats.entries} ({stats.volume_bytes // 1024} KiB), "
        f"{stats.indexed_products} products tracked",
        f"Answers:     {counts}",
        f"Hit ratio:   {ratio} (stale answers served: {stats.counters.get(Status.STALE, 0)})",
        f"Quota:       {quota.used} of {quota.limit} used today, {quota.left} left; "
        f"resets {when(quota.reset_at)}",
        f"New ids:     {stats.new_products_used} of {stats.new_products_limit} calls today "
        "for products first asked for by public requests",
        f"Breaker:     {stats.breaker.state}"
        + (f" until {when(stats.breaker.open_until)}" if stats.breaker.open_until else ""),
        f"Ban:         {'until ' + when(stats.ban_until) if stats.ban_until else 'none'}",
        f"Refresh:     {_last_refresh(stats.last_refresh)}",
    ]
    if stats.recent_errors:
        lines.append("Recent gateway errors:")
        for error in stats.recent_errors:
            at = error.get("at")
            stamp = when(at) if isinstance(at, int | float) else "?"
            lines.append(f"  {stamp}  {error.get('message')}")
    if stats.stopped_promotable:
        lines.append("Stopped being promotable:")
        for item in stats.stopped_promotable:
            lines.append(f"  {item.get('id')}  {item.get('title') or ''}".rstrip())
    return lines


def _last_refresh(run: dict[str, Any] | None) -> str:
    if run is None:
        return "never run (run affsite refresh from cron every 15 minutes)"
    text = (
        f"{when(run['at'])} ({duration(run['ago'])} ago), {run['calls']} call(s), "
        f"{run['refreshed']} product(s) and {run['lists']['renewed']} list(s) renewed"
    )
    return text + ("; LATE: check the cron job" if run["late"] else "")


@cache_group.command("stats")
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of text.")
def cache_stats_command(as_json: bool) -> None:
    """Entries, hit ratio, stale answers, quota, breaker and recent gateway errors."""
    catalog = get_catalog()
    catalog.stores.check_limits()  # tries Redis or the disk again when due
    stats = catalog.stats()
    health = catalog.stores.health
    if as_json:
        data: dict[str, Any] = stats.to_json()
        data["breaker"]["open_until"] = _iso(stats.breaker.open_until)
        data["ban_until"] = _iso(stats.ban_until)
        data["cache"]["backend"] = str(health.backend)
        data["cache"]["kept_in"] = health.describe_backend()
        click.echo(json.dumps(data, indent=2, ensure_ascii=False))
        return
    click.echo(f"Kept in:     {health.describe_backend()}")
    for line in stats_lines(stats):
        click.echo(printable(line) if line.startswith("  ") else line)


@cache_group.command("clear")
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
def cache_clear_command(yes: bool) -> None:
    """Forget every cached product (the quota count and limits are kept)."""
    if not yes:
        click.confirm(
            "Every product will be fetched again, which spends quota. Clear the cache?",
            abort=True,
        )
    removed = get_catalog().clear()
    click.echo(f"Removed {removed} cached entries.")


# --- refresh ---------------------------------------------------------------------------------


@cli.command("refresh")
@number_option("--budget", default=10, low=0, help="Most gateway calls to spend.")
@click.option(
    "--horizon",
    type=click.FloatRange(min=0),
    default=None,
    help="Renew entries expiring within this many seconds "
    "[default: a quarter of the cache expiration time].",
)
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of text.")
def refresh_command(budget: int, horizon: float | None, as_json: bool) -> None:
    """Renew the site's lists and cached products that expire soonest (most viewed first),
    for cron."""
    catalog = get_catalog()
    due = catalog.due_for_refresh(horizon)
    planned = min(len(due), budget * catalog.settings().batch_size)
    if planned:
        with click.progressbar(length=planned, label="Refreshing products", file=sys.stderr) as bar:
            report = catalog.refresh(budget, horizon=horizon, progress=lambda n: bar.update(n))
    else:
        report = catalog.refresh(budget, horizon=horizon)
    catalog.flush()
    left = max(0, report.due - len(report.ids))
    if as_json:
        click.echo(json.dumps({**report.to_json(), "still_due": left}, indent=2))
    else:
        if report.lists_due:
            click.echo(
                f"Renewed {report.lists_renewed} of {report.lists_due} list(s) due"
                + (f", {report.lists_failed} failed." if report.lists_failed else ".")
            )
        click.echo(
            f"Refreshed {report.refreshed} product(s), {report.not_promotable} not promotable, "
            f"{report.failed} failed, with {report.calls} gateway call(s); {left} still due."
        )
    if report.stopped:
        click.echo(f"Stopped early: {report.stopped.replace('_', ' ')}.", err=True)
    if report.stopped in ("credentials_rejected", "not_configured"):
        sys.exit(1)
