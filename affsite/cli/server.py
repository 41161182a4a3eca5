"""``affsite run`` (development server) and ``affsite serve`` (production server: gunicorn)."""

from __future__ import annotations

import logging
from typing import Any

import click
from flask import Flask
from flask.cli import ScriptInfo, pass_script_info

from affsite import __version__
from affsite.cli import cli, listen_options, number_option, run_until_interrupted
from affsite.settings import settings_store
from affsite.web.auth import admin_password

DEMO_NOTE = (
    "Demo mode: ON (no AliExpress credentials are set; products come from the built-in sandbox)"
)
#: Seconds a client has to send a whole request, and to take its answer.
DEFAULT_REQUEST_TIMEOUT = 15


def _configure_logging() -> None:
    if not logging.getLogger().handlers:
        logging.basicConfig(
            level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
        )


def _describe(app: Flask, url: str) -> list[str]:
    """What an operator wants to see when the server starts (never a secret)."""
    with app.app_context():
        state = settings_store().state()
        has_password = admin_password().is_set()
    lines = [
        f"affsite {__version__} serving {url}",
        f"  admin:     {url}admin/",
        f"  instance:  {app.instance_path}",
    ]
    if state.settings.demo_mode:
        lines.append(f"  {DEMO_NOTE}")
    else:
        lines.append(f"  Demo mode: off (AliExpress API at {state.settings.api_url})")
    lines.extend(f"  Settings problem: {p.message}" for p in state.problems)
    if not has_password:
        lines.append("  No admin password yet: run `affsite admin set-password` to sign in.")
    return lines


@cli.command("run", with_appcontext=False)
@listen_options(default_port=5000)
@pass_script_info
def run_command(info: ScriptInfo, host: str, port: int) -> None:
    """Run the development server (one process; use `affsite serve` in production)."""
    from werkzeug.serving import make_server

    _configure_logging()
    app = info.load_app()
    try:
        server = make_server(host, port, app, threaded=True)
    except (OSError, SystemExit) as exc:
        raise click.ClickException(f"cannot listen on {host}:{port}: {exc}") from None
    shown_host = f"[{host}]" if ":" in host else host
    for line in _describe(app, f"http://{shown_host}:{server.server_port}/"):
        click.echo(line)
    click.echo("Press Ctrl-C to stop.")
    run_until_interrupted(server.serve_forever, server.server_close)


@cli.command("serve", with_appcontext=False)
@click.option(
    "--bind", default="127.0.0.1:8000", show_default=True, help="Address:port to listen on."
)
@number_option(
    "--workers",
    default=2,
    low=1,
    high=64,
    help="Worker processes (they share settings, cache and API limits).",
)
@number_option("--threads", default=4, low=1, high=64, help="Threads per worker.")
@number_option(
    "--timeout", default=30, low=5, high=600, help="Seconds before a stuck worker is restarted."
)
@number_option(
    "--request-timeout",
    default=DEFAULT_REQUEST_TIMEOUT,
    low=1,
    high=300,
    help="Seconds a client has to send a whole request (and to take its answer).",
)
@pass_script_info
def serve_command(
    info: ScriptInfo, bind: str, workers: int, threads: int, timeout: int, request_timeout: int
) -> None:
    """Run the production server (gunicorn; requests are read whole before a thread sees
    them, so slow clients cannot stall it)."""
    from gunicorn.app.base import BaseApplication

    from affsite.cli.malloc_arenas import limit_malloc_arenas

    limit_malloc_arenas()  # before any thread: the workers forked later inherit it
    _configure_logging()
    # Created once before forking: writes the secret key and applies AFFSITE_ADMIN_PASSWORD
    # exactly once, and shows configuration problems before any worker starts.
    app = info.load_app()
    for line in _describe(app, f"http://{bind}/"):
        click.echo(line)
    click.echo(f"  {workers} worker(s) x {threads} thread(s), timeout {timeout}s")
    options = gunicorn_options(
        app,
        bind=bind,
        workers=workers,
        threads=threads,
        timeout=timeout,
        request_timeout=request_timeout,
    )

    class AffsiteServer(BaseApplication):  # type: ignore[misc]
        def load_config(self) -> None:
            for key, value in options.items():
                self.cfg.set(key, value)
            if "control_socket_disable" in self.cfg.settings:
                # gunicorn >= 27 would otherwise open a control socket in $HOME, shared
                # (and fought over) by every instance the same user runs.
                self.cfg.set("control_socket_disable", True)

        def load(self) -> Flask:
            # Each worker builds its own app: nothing (files, connections) is shared by fork.
            from affsite import create_app

            return create_app()

    AffsiteServer().run()


def gunicorn_options(
    app: Flask, *, bind: str, workers: int, threads: int, timeout: int, request_timeout: int
) -> dict[str, Any]:
    """The gunicorn settings of ``affsite serve``."""
    from affsite.cli.request_reader import RequestLimits
    from affsite.cli.worker import worker_class

    limits = RequestLimits(
        body_bytes=int(app.config["MAX_CONTENT_LENGTH"]), seconds=float(request_timeout)
    )
    return {
        "bind": bind,
        "workers": workers,
        "worker_class": worker_class(limits),
        "threads": threads,
        "timeout": timeout,
        "graceful_timeout": timeout,
        "keepalive": 5,
        "accesslog": "-",
        "errorlog": "-",
        "proc_name": "affsite",
        # gunicorn would take SCRIPT_NAME, PATH_INFO and the scheme from request headers sent
        # by 127.0.0.1 (or FORWARDED_ALLOW_IPS): trust none here. Which proxy headers count
        # is the app's decision (AFFSITE_PROXY_FIX), made in one place.
        "forwarded_allow_ips": "",
        "forwarder_headers": "",
        "secure_scheme_headers": {},
        # Buffered view counts and counters reach the shared store when a worker stops.
        "worker_exit": _flush_on_worker_exit,
    }


def _flush_on_worker_exit(_arbiter: Any, _worker: Any) -> None:
    # gunicorn's worker_exit hook, in the worker process as it stops.
    from affsite.catalog import flush_on_exit

    flush_on_exit()
