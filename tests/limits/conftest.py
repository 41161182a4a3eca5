"""Fixtures for the limits tests: opened stores in a temporary cache folder."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from affsite.cache import CacheStores, open_stores
from affsite.clock import FakeClock


@pytest.fixture
def cache_dir(tmp_path: Path) -> Path:
    return tmp_path / "cache"


@pytest.fixture
def stores(cache_dir: Path, clock: FakeClock) -> Iterator[CacheStores]:
    opened = open_stores(cache_dir, clock=clock)
    yield opened
    opened.close()
