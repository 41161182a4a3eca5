"""Fixtures for the settings tests: a store on a temporary instance folder."""

from __future__ import annotations

from pathlib import Path

import pytest

from affsite.settings import SettingsStore

CANARY_SECRET = "CANARY-SECRET-7f3a9c"


@pytest.fixture
def instance(tmp_path: Path) -> Path:
    return tmp_path / "instance"


@pytest.fixture
def store(instance: Path) -> SettingsStore:
    return SettingsStore(instance)
