"""The ``affsite`` command: a Flask CLI group whose subcommands live one per module here.

``server`` (run, serve), ``admin`` (admin set-password), ``check``, ``products``, ``render``
(boxes as HTML), ``expand`` (shortcodes in a text), ``catalog`` (quota, cache stats|clear,
refresh), ``resolve``, ``sandbox`` and ``stats`` (clicks on boxes); ``output`` is what they
print; the options and the Ctrl-C ending that several of them share are defined here.
``affsite serve`` runs gunicorn with the worker of ``worker``, whose event loop reads each
request whole (``request_reader``) before a thread sees it.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeVar

import click
from flask.cli import FlaskGroup

from affsite import __version__

if TYPE_CHECKING:
    from flask import Flask

__all__ = ["cli", "listen_options", "main", "number_option", "run_until_interrupted"]

Command = TypeVar("Command", bound=Callable[..., Any])


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


# What several commands share; defined before the command modules are imported below.


def number_option(
    flag: str, *, default: int, low: int, high: int | None = None, help: str
) -> Callable[[Command], Command]:
    """A whole-number option from ``low`` to ``high`` (None: no upper bound), its default
    shown in ``--help``."""
    return click.option(
        flag, default=default, show_default=True, type=click.IntRange(low, high), help=help
    )


def listen_options(*, default_port: int) -> Callable[[Command], Command]:
    """``--host`` (loopback unless told otherwise) and ``--port`` of a command that listens."""
    host = click.option(
        "--host", default="127.0.0.1", show_default=True, help="Address to listen on."
    )
    port = number_option(
        "--port",
        default=default_port,
        low=0,
        high=65535,
        help="Port to listen on (0 picks a free one).",
    )
    return lambda command: host(port(command))


def run_until_interrupted(serve: Callable[[], object], stop: Callable[[], object]) -> None:
    """``serve()`` until Ctrl-C, then ``stop()`` (also when ``serve`` fails)."""
    try:
        serve()
    except KeyboardInterrupt:
        click.echo("Stopping.")
    finally:
        stop()


def _register_commands() -> None:
    # One import per command module; each module attaches its commands to ``cli``.
    from affsite.cli import (  # noqa: F401
        admin,  # admin set-password
        catalog,  # quota, cache stats|clear, refresh
        check,  # check
        expand,  # expand (shortcodes in a text)
        products,  # products
        render,  # render (boxes as HTML)
        resolve,  # resolve
        sandbox,  # sandbox
        server,  # run, serve
        stats,  # stats (clicks on boxes)
    )


_register_commands()


def main() -> None:
    """The ``affsite`` console script."""
    cli.main(prog_name="affsite")
