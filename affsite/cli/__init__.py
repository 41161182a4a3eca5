"""The ``affsite`` command: a Flask CLI group whose subcommands live one per module here."""

from __future__ import annotations

import click
from flask.cli import FlaskGroup

from affsite import __version__


def _create_app():  # type: ignore[no-untyped-def]
    from affsite import create_app

    return create_app()


@click.group(
    cls=FlaskGroup,
    create_app=_create_app,
    add_default_commands=True,
    add_version_option=False,
)
@click.version_option(__version__, prog_name="affsite", message="%(prog)s %(version)s")
def cli() -> None:
    """affsite: AliExpress affiliate product boxes for any website."""


def _register_commands() -> None:
    # One import per command module; each module attaches its commands to ``cli``.
    from affsite.cli import (  # noqa: F401
        api,  # check, products
        app,  # run, serve, admin set-password
        catalog,  # quota, cache stats|clear, refresh
        resolve,  # resolve
        sandbox,  # sandbox
    )


_register_commands()


def main() -> None:
    cli.main(prog_name="affsite")
