"""Fixtures for the store tests. The shared ``clock`` fixture (a ``FakeClock``) also serves as
the stores' monotonic clock, so recovery intervals pass when a test says so.
"""

from __future__ import annotations

from pathlib import Path

import pytest


@pytest.fixture
def cache_dir(tmp_path: Path) -> Path:
    return tmp_path / "cache"
