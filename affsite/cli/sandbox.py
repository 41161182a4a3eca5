"""``affsite sandbox``: run the offline AliExpress gateway as a local HTTP server."""

from __future__ import annotations

import click

from affsite.cli import cli, listen_options, run_until_interrupted


@cli.command("sandbox", with_appcontext=False)
@listen_options(default_port=8765)
def sandbox_command(host: str, port: int) -> None:
    """Run the sandbox AliExpress gateway until Ctrl-C.

    It answers the affiliate API like the real gateway (signatures, envelopes, errors) from a
    built-in catalog, and serves the product images itself. Point any affsite at it with the
    environment variables it prints.
    """
    from affsite.aliexpress.sandbox import (
        DEMO_APP_KEY,
        DEMO_APP_SECRET,
        DEMO_TRACKING_ID,
        Sandbox,
        serve,
    )

    try:
        handle = serve(Sandbox(), host, port)
    except OSError as exc:
        reason = exc.strerror or exc
        raise click.ClickException(f"cannot listen on {host}:{port}: {reason}") from exc
    sync_url = f"{handle.url}/sync"
    click.echo(f"AliExpress sandbox gateway listening on {sync_url}")
    click.echo(f"  app key:     {DEMO_APP_KEY}")
    click.echo(f"  app secret:  {DEMO_APP_SECRET}")
    click.echo(f"  tracking id: {DEMO_TRACKING_ID}")
    click.echo("Point affsite at it:")
    click.echo(
        f"  export AFFSITE_API_URL={sync_url} AFFSITE_APP_KEY={DEMO_APP_KEY} "
        f"AFFSITE_APP_SECRET={DEMO_APP_SECRET} AFFSITE_TRACKING_ID={DEMO_TRACKING_ID}"
    )
    click.echo(f"Call counts: {handle.url}/_sandbox/stats   Press Ctrl-C to stop.")
    if host not in ("127.0.0.1", "localhost", "::1"):
        click.echo("Warning: listening beyond this machine; the sandbox has no access control.")
    run_until_interrupted(handle.wait, handle.shutdown)
