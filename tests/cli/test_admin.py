"""``affsite admin set-password``."""

from __future__ import annotations

from pathlib import Path

from affsite.web.auth import AdminPassword

from .conftest import invoke


def test_admin_group_lists_set_password(instance: Path) -> None:
    result = invoke(instance, ["admin", "--help"])
    assert result.exit_code == 0
    assert "set-password" in result.output


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
