"""Fixtures shared by every test area. Each area keeps its own conftest.py beside its tests."""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest

from affsite.clock import FakeClock


@pytest.fixture(autouse=True)
def _scrub_affsite_environment(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """No test sees the developer's or CI's AFFSITE_* variables (credentials above all)."""
    for name in list(os.environ):
        if name.startswith("AFFSITE_"):
            monkeypatch.delenv(name, raising=False)
    yield


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()
