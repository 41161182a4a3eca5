"""The ``affsite`` command: a Flask CLI group whose subcommands live one per module here.

``server`` (run, serve), ``admin`` (admin set-password), ``check``, ``products``, ``catalog``
(quota, cache stats|clear, refresh), ``resolve`` and ``sandbox``; ``output`` is what they
print. ``affsite serve`` runs gunicorn with the worker of ``worker``, whose event loop reads
each request whole (``request_reader``) before a thread sees it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import click
from flask.cli import FlaskGroup

from affsite import __version__

if TYPE_CHECKING:
    from flask import Flask

__all__ = ["cli", "main"]


def _create_app() -> Flask:
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
        admin,  # admin set-password
        catalog,  # quota, cache stats|clear, refresh
        check,  # check
        products,  # products
        resolve,  # resolve
        sandbox,  # sandbox
        server,  # run, serve
    )


_register_commands()


def main() -> None:
    """The ``affsite`` console script."""
    cli.main(prog_name="affsite")
