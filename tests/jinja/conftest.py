"""Fixtures for the Jinja integration: a Flask app that is not affsite's, with ``Affsite``
installed on a temporary instance folder whose catalog calls a sandbox of the test's own."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import pytest
from flask import Flask

from affsite.aliexpress.sandbox import Sandbox
from affsite.cache import open_stores
from affsite.catalog import Catalog, ProductAnswer, client_factory
from affsite.clock import FakeClock
from affsite.jinja import Affsite
from affsite.settings import SettingsStore


@pytest.fixture
def sandbox(clock: FakeClock) -> Sandbox:
    return Sandbox(clock=clock, tracking_ids=("affsite_demo",))


@pytest.fixture
def instance(tmp_path: Path) -> Path:
    return tmp_path / "affsite-instance"


@pytest.fixture
def catalog(instance: Path, sandbox: Sandbox, clock: FakeClock) -> Iterator[Catalog]:
    made = Catalog(
        settings=SettingsStore(instance).load,
        stores=open_stores(instance / "cache"),
        client_factory=client_factory(sandbox.transport()),
        clock=clock,
        sleep=clock.sleep,
    )
    yield made
    made.close()


class CountingCatalog:
    """Counts ``Catalog.products`` calls (and the ids in each) of the wrapped catalog."""

    def __init__(self, catalog: Catalog, monkeypatch: pytest.MonkeyPatch) -> None:
        self.calls: list[list[str]] = []
        real = catalog.products

        def counted(ids: Sequence[str], **kwargs: Any) -> list[ProductAnswer]:
            self.calls.append(list(ids))
            return real(ids, **kwargs)

        monkeypatch.setattr(catalog, "products", counted)


@pytest.fixture
def asked(catalog: Catalog, monkeypatch: pytest.MonkeyPatch) -> CountingCatalog:
    return CountingCatalog(catalog, monkeypatch)


@pytest.fixture
def app(catalog: Catalog) -> Flask:
    """Somebody else's app: nothing of affsite in it but the extension."""
    app = Flask("someone_elses_site")
    app.config["TESTING"] = True
    Affsite(catalog=catalog).init_app(app)
    return app
