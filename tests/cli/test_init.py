"""The ``affsite`` command group: its commands and its version."""

from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner

from affsite import __version__
from affsite.cli import cli

from .conftest import invoke


def test_help_lists_the_commands(instance: Path) -> None:
    result = invoke(instance, ["--help"])
    assert result.exit_code == 0
    listed = {
        line.split()[0] for line in result.output.split("Commands:")[1].splitlines() if line.strip()
    }
    assert {"run", "serve", "admin", "check", "products", "resolve", "sandbox"} <= listed


def test_version_is_affsite_s_own() -> None:
    result = CliRunner().invoke(cli, ["--version"])
    assert result.exit_code == 0
    assert result.output.strip() == f"affsite {__version__}"
