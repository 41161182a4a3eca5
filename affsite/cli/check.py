"""``affsite check``: call the configured gateway once and say whether it accepts the site."""

from __future__ import annotations

import json
import sys

import click

from affsite.catalog import get_catalog
from affsite.cli import cli
from affsite.cli.output import fail


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
    catalog = get_catalog()
    demo_mode = catalog.settings().demo_mode
    result = catalog.check_connection()
    if as_json:
        report = {
            "ok": result.ok,
            "message": result.message,
            "fix": result.fix,
            "demo_mode": demo_mode,
        }
        click.echo(json.dumps(report, ensure_ascii=False))
        sys.exit(0 if result.ok else 1)
    if not result.ok:
        fail(result.message, result.fix)
    click.echo("OK")
    if demo_mode:
        click.echo(
            "Note: no App Key and App Secret are set, so this is the demo sandbox.", err=True
        )
