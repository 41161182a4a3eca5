"""``affsite resolve``: product ids from URLs or ids, one output line per input."""

from __future__ import annotations

import json
import sys
from collections.abc import Iterable, Iterator
from typing import BinaryIO

import click

from affsite.cli import cli
from affsite.product_ids import Resolution, resolve


@cli.command("resolve", with_appcontext=False)
@click.option(
    "--offline",
    is_flag=True,
    help="Never use the network: short links fail with a reason instead of being followed.",
)
@click.option(
    "--json",
    "as_json",
    is_flag=True,
    help='One JSON object per line: {"input", "id", "raw_id", "form", "error"}.',
)
@click.argument("inputs", nargs=-1)
def resolve_command(offline: bool, as_json: bool, inputs: tuple[str, ...]) -> None:
    """Print the AliExpress product id of each INPUT (a product URL or id).

    With no INPUT, reads one input per line from standard input; blank lines there are skipped
    (an empty INPUT given as an argument is reported as an error). Prints one line per input,
    in order: the product id, or "error: <reason>". Exits with status 1 if any input did not
    resolve.
    """
    follower = None
    if not offline:
        # Only built when short links may be followed (offline runs skip loading the app):
        # the follower keeps answers in the site's cache, shared with the web workers, so a
        # short link is asked of the network once a month.
        from flask.cli import ScriptInfo

        from affsite.catalog import get_catalog

        app = click.get_current_context().ensure_object(ScriptInfo).load_app()
        with app.app_context():
            follower = get_catalog().short_link_follower()
    source: Iterable[str] = inputs or _stdin_lines(sys.stdin.buffer)
    out = sys.stdout
    all_resolved = True
    try:
        for text in source:
            result = resolve(text, offline=offline, follower=follower)
            all_resolved = all_resolved and result.ok
            out.write(_format(result, as_json=as_json))
            out.write("\n")
    finally:
        if follower is not None:
            follower.close()
    out.flush()
    if not all_resolved:
        raise click.exceptions.Exit(1)


def _stdin_lines(stream: BinaryIO) -> Iterator[str]:
    # Bytes in, decoded per line: a stray invalid byte becomes U+FFFD in that one input (and
    # an error for it), instead of a crash for the whole list.
    for raw in stream:
        line = raw.decode("utf-8", errors="replace").rstrip("\r\n")
        if line.strip():
            yield line


def _format(result: Resolution, *, as_json: bool) -> str:
    if as_json:
        return json.dumps(result.to_json())
    if result.id is not None:
        return result.id
    # Reasons quote parts of the input; never let them carry terminal control characters.
    reason = "".join(ch if ch.isprintable() else "?" for ch in result.error or "not resolved")
    return f"error: {reason}"
