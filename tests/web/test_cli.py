"""``affsite run``, ``affsite serve`` and ``affsite admin set-password``."""

from __future__ import annotations

import json
import urllib.request
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result

from affsite.cli import cli
from affsite.web.auth import AdminPassword

FAST_HASH = {"AFFSITE_PASSWORD_HASH_METHOD": "pbkdf2:sha256:1"}


def invoke(instance: Path, args: list[str], input: str | None = None) -> Result:
    env = {"AFFSITE_INSTANCE": str(instance), **FAST_HASH}
    return CliRunner().invoke(cli, args, input=input, env=env, prog_name="affsite")


def test_help_lists_the_commands(instance: Path) -> None:
    result = invoke(instance, ["--help"])
    assert result.exit_code == 0
    listed = {
        line.split()[0] for line in result.output.split("Commands:")[1].splitlines() if line.strip()
    }
    assert {"run", "serve", "admin"} <= listed
    admin = invoke(instance, ["admin", "--help"])
    assert "set-password" in admin.output


def test_run_replaces_flasks_run_command(instance: Path) -> None:
    result = invoke(instance, ["run", "--help"])
    assert "--host" in result.output and "127.0.0.1" in result.output
    assert "--port" in result.output and "5000" in result.output
    assert "--cert" not in result.output  # Flask's own run command has --cert


def test_set_password_from_stdin(instance: Path) -> None:
    result = invoke(instance, ["admin", "set-password", "--password-stdin"], "a long passphrase\n")
    assert result.exit_code == 0, result.output
    assert "Admin password saved" in result.output
    store = AdminPassword(instance)
    assert store.check("a long passphrase")
    assert (instance / "admin_password").stat().st_mode & 0o777 == 0o600


def test_set_password_by_prompt_asks_twice(instance: Path) -> None:
    result = invoke(instance, ["admin", "set-password"], "prompted secret 1\nprompted secret 1\n")
    assert result.exit_code == 0, result.output
    assert "prompted secret 1" not in result.output  # hidden input
    assert AdminPassword(instance).check("prompted secret 1")


def test_a_short_password_is_refused_with_the_fix(instance: Path) -> None:
    result = invoke(instance, ["admin", "set-password", "--password-stdin"], "short\n")
    assert result.exit_code == 1
    assert "at least 10 characters" in result.output
    assert not AdminPassword(instance).is_set()


class FakeServer:
    server_port = 5123

    def __init__(self, host: str, port: int, app: Any, threaded: bool) -> None:
        self.host, self.port, self.app, self.threaded = host, port, app, threaded
        FakeServer.made.append(self)

    made: list[FakeServer] = []

    def serve_forever(self) -> None:
        raise KeyboardInterrupt

    def server_close(self) -> None:
        self.closed = True


def test_run_prints_the_url_and_demo_mode(instance: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import werkzeug.serving

    FakeServer.made.clear()
    monkeypatch.setattr(werkzeug.serving, "make_server", FakeServer)
    result = invoke(instance, ["run"])
    assert result.exit_code == 0, result.output
    assert "serving http://127.0.0.1:5123/" in result.output
    assert "Demo mode: ON" in result.output
    assert "affsite admin set-password" in result.output
    (server,) = FakeServer.made
    assert (server.host, server.port, server.threaded) == ("127.0.0.1", 5000, True)
    assert server.closed


@pytest.mark.slow
def test_serve_runs_gunicorn_with_threaded_workers(
    instance: Path, affsite_serve: Callable[..., Any]
) -> None:
    site = affsite_serve(
        {"AFFSITE_INSTANCE": str(instance), "AFFSITE_COUNTRY": "DE"}, "--workers", "1"
    )
    with urllib.request.urlopen(f"{site.url}/healthz", timeout=5) as answer:
        body = json.load(answer)
    assert body["status"] == "ok" and body["demo_mode"] is True
    output = site.output()
    assert "Using worker: gthread" in output
    assert f"serving {site.url}/" in output


def test_version_is_affsite_s_own() -> None:
    from click.testing import CliRunner

    from affsite import __version__
    from affsite.cli import cli

    result = CliRunner().invoke(cli, ["--version"])
    assert result.exit_code == 0
    assert result.output.strip() == f"affsite {__version__}"
