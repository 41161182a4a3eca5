"""Fixtures for the catalog tests: a counting sandbox gateway, fake time, a cache folder."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask

from affsite.aliexpress.sandbox import Sandbox
from affsite.cache import CacheStores
from affsite.catalog import Catalog
from affsite.clock import FakeClock

from .helpers import TRACKING_IDS, SettingsBox, transport_factory

DETAIL = "aliexpress.affiliate.productdetail.get"

MakeCatalog = Callable[..., Catalog]
OpenStores = Callable[..., CacheStores]  # the root conftest's ``open_backend_stores``


@pytest.fixture
def sandbox(clock: FakeClock) -> Sandbox:
    return Sandbox(clock=clock, tracking_ids=TRACKING_IDS)


@pytest.fixture
def settings() -> SettingsBox:
    # The speed limiter is generous unless a test is about it.
    return SettingsBox(rate_limit=1000.0)


@pytest.fixture
def cache_dir(tmp_path: Path) -> Path:
    return tmp_path / "instance" / "cache"


@pytest.fixture
def make_catalog(
    cache_dir: Path,
    clock: FakeClock,
    sandbox: Sandbox,
    settings: SettingsBox,
    open_backend_stores: OpenStores,
) -> Iterator[MakeCatalog]:
    """Catalogs sharing one cache folder, or one Redis when the test is parametrised with
    ``store_backend`` "redis" (like worker processes of one site)."""
    made: list[Catalog] = []

    def make(**overrides: Any) -> Catalog:
        options: dict[str, Any] = {
            "settings": settings,
            "stores": open_backend_stores(cache_dir),
            "client_factory": transport_factory(sandbox.transport()),
            "clock": clock,
            "sleep": clock.sleep,
        }
        options.update(overrides)
        catalog = Catalog(**options)
        made.append(catalog)
        return catalog

    yield make
    for catalog in made:
        catalog.close()


@pytest.fixture
def catalog(make_catalog: MakeCatalog) -> Catalog:
    return make_catalog()


@pytest.fixture
def promotable(sandbox: Sandbox) -> list[str]:
    return sandbox.catalog.promotable_ids()


@pytest.fixture
def web_app(tmp_path: Path, clock: FakeClock, catalog: Catalog) -> Flask:
    """The real app, with the test's catalog (sandbox gateway, fake time) installed."""
    from affsite import catalog as catalog_module
    from affsite import create_app
    from affsite.web import api

    app = create_app(
        {
            "TESTING": True,
            "INSTANCE_PATH": str(tmp_path / "instance"),
            "PASSWORD_HASH_METHOD": "pbkdf2:sha256:1",
            "WTF_CSRF_ENABLED": False,
            "CLOCK": clock,
        }
    )
    catalog_module.init_app(app, catalog)
    if "api" not in app.blueprints:
        api.init_app(app)
    return app
