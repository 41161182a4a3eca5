"""Fixtures for the web tests: an app on a temporary instance folder, a cheap password hash."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from affsite import catalog as catalog_module
from affsite import create_app
from affsite.cache import open_stores
from affsite.catalog import Catalog
from affsite.clock import FakeClock
from affsite.settings import settings_store

from .helpers import ADMIN_PASSWORD, log_in, password_store

MakeApp = Callable[..., Flask]
InstallCatalog = Callable[..., Catalog]


@pytest.fixture
def clock() -> FakeClock:
    # Starts at the real time: demo mode signs requests for the process-wide demo sandbox,
    # which checks timestamps against the real clock as the real gateway does.
    return FakeClock(start=float(int(time.time())))


@pytest.fixture
def instance(tmp_path: Path) -> Path:
    return tmp_path / "instance"


@pytest.fixture
def make_app(instance: Path, clock: FakeClock) -> MakeApp:
    """Build an app on the test's instance folder; keyword arguments override config."""

    def make(**overrides: Any) -> Flask:
        config: dict[str, Any] = {
            "TESTING": True,
            "INSTANCE_PATH": str(instance),
            "PASSWORD_HASH_METHOD": "pbkdf2:sha256:1",  # fast; production uses scrypt
            "WTF_CSRF_ENABLED": False,
            "CLOCK": clock,
        }
        config.update(overrides)
        return create_app(config)

    return make


@pytest.fixture
def app(make_app: MakeApp) -> Flask:
    app = make_app()
    password_store(app).set(ADMIN_PASSWORD)
    return app


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


@pytest.fixture
def admin(client: FlaskClient) -> FlaskClient:
    """A client signed in as the admin."""
    response = log_in(client)
    assert response.status_code == 303
    return client


@pytest.fixture
def install_catalog(app: Flask, clock: FakeClock, tmp_path: Path) -> Iterator[InstallCatalog]:
    """Give the app a catalog of the test's own: keyword arguments are the catalog's
    dependencies (``client_factory``, ``short_links``) to replace.
    """
    built: list[Catalog] = []

    def install(**dependencies: Any) -> Catalog:
        with app.app_context():
            store = settings_store()
        catalog = Catalog(
            settings=store.load,
            stores=open_stores(tmp_path / "cache"),
            clock=clock,
            sleep=clock.sleep,
            **dependencies,
        )
        catalog_module.init_app(app, catalog)
        built.append(catalog)
        return catalog

    yield install
    for catalog in built:
        catalog.close()
