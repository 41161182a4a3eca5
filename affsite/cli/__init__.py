"""The ``affsite`` command: a Flask CLI group whose subcommands live one per module here."""

from __future__ import annotations

import click
from flask.cli import FlaskGroup


def _create_app():  # type: ignore[no-untyped-def]
    from affsite import create_app

    return create_app()


@click.group(cls=FlaskGroup, create_app=_create_app, add_default_commands=True)
def cli() -> None:
    """affsite: AliExpress affiliate product boxes for any website."""


def _register_commands() -> None:
    # One import per command module; each module attaches its commands to ``cli``.
    from affsite.cli import app  # noqa: F401  (run, serve, admin set-password)
    from affsite.cli import api  # noqa: F401  (check, products)
    from affsite.cli import sandbox  # noqa: F401  (sandbox)
    from affsite.cli import resolve  # noqa: F401  (resolve)

    pass


_register_commands()


def main() -> None:
    cli.main(prog_name="affsite")
