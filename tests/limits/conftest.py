"""Fixtures for the limits tests: opened stores in a temporary cache folder."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from affsite.cache import CacheStores
from affsite.clock import FakeClock

OpenStores = Callable[..., CacheStores]  # the root conftest's ``open_backend_stores``


@pytest.fixture
def cache_dir(tmp_path: Path) -> Path:
    return tmp_path / "cache"


@pytest.fixture
def stores(
    cache_dir: Path, clock: FakeClock, open_backend_stores: OpenStores
) -> Iterator[CacheStores]:
    """The stores on the test's backend (disk, unless parametrised with redis)."""
    opened: CacheStores = open_backend_stores(cache_dir, clock=clock)
    yield opened
    opened.close()
