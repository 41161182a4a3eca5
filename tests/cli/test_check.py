"""``affsite check``: one gateway call, OK or the problem and its fix (``--json`` for scripts)."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from affsite.cli import cli


def test_check_in_demo_mode_uses_the_sandbox(runner: CliRunner) -> None:
    result = runner.invoke(cli, ["check"])
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines()[0] == "OK"


def test_check_json_for_scripts(runner: CliRunner, monkeypatch: pytest.MonkeyPatch) -> None:
    ok = runner.invoke(cli, ["check", "--json"])
    assert ok.exit_code == 0, ok.output
    assert json.loads(ok.stdout) == {"ok": True, "message": "OK", "fix": None, "demo_mode": True}

    monkeypatch.setenv("AFFSITE_APP_KEY", "123456")
    monkeypatch.setenv("AFFSITE_APP_SECRET", "s" * 32)
    monkeypatch.setenv("AFFSITE_API_URL", "http://127.0.0.1:9/sync")  # nothing listens there
    failed = runner.invoke(cli, ["check", "--json"])
    report = json.loads(failed.stdout)
    assert failed.exit_code == 1
    assert report["ok"] is False and report["demo_mode"] is False
    assert report["message"] and report["fix"]
    assert "s" * 32 not in failed.stdout
