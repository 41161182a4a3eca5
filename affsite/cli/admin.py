"""``affsite admin set-password``: the admin account from a shell."""

from __future__ import annotations

import sys

import click

from affsite.cli import cli
from affsite.errors import AffsiteError
from affsite.web.auth import admin_password


@cli.group("admin")
def admin_group() -> None:
    """Manage the admin account."""


@admin_group.command("set-password")
@click.option(
    "--password-stdin",
    is_flag=True,
    help="Read the password from the first line of standard input instead of prompting.",
)
def set_password_command(password_stdin: bool) -> None:
    """Set the admin password (signs out every admin session)."""
    if password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    else:
        password = click.prompt("New admin password", hide_input=True, confirmation_prompt=True)
    store = admin_password()
    try:
        store.set(password)
    except AffsiteError as exc:
        raise click.ClickException(f"{exc} {exc.fix}") from None
    click.echo(f"Admin password saved in {store.path}. Sign in at /admin/login.")
