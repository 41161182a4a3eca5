"""A renderer over the real templates folder, outside any Flask app; and the sandbox's
products as the catalog answers them (hostile titles, missing fields, non-Latin and
right-to-left text, products that are not promotable)."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest

from affsite.aliexpress.sandbox import Sandbox, SandboxCatalog
from affsite.cache import open_stores
from affsite.catalog import Catalog, ProductAnswer, Purpose, client_factory
from affsite.clock import FakeClock
from affsite.render import Renderer
from affsite.render.environment import make_environment
from affsite.resources import template_folder
from affsite.settings import Settings


@pytest.fixture
def renderer() -> Renderer:
    return Renderer(make_environment(template_folder()))


@dataclass
class SandboxShop:
    """The sandbox behind a real catalog on a fake clock."""

    sandbox: Sandbox
    catalog: Catalog
    clock: FakeClock

    @property
    def products(self) -> SandboxCatalog:
        return self.sandbox.catalog

    def answers(self, ids: Sequence[str]) -> list[ProductAnswer]:
        return self.catalog.products(list(ids), purpose=Purpose.PAGE)


@contextmanager
def open_shop(directory: Path, settings: Settings | None = None) -> Iterator[SandboxShop]:
    clock = FakeClock()
    sandbox = Sandbox(clock=clock, tracking_ids=("affsite_demo", "default"))
    chosen = settings or Settings(rate_limit=1000.0)
    catalog = Catalog(
        settings=lambda: chosen,
        stores=open_stores(directory),
        client_factory=client_factory(sandbox.transport()),
        clock=clock,
        sleep=clock.sleep,
    )
    try:
        yield SandboxShop(sandbox=sandbox, catalog=catalog, clock=clock)
    finally:
        catalog.close()


@pytest.fixture
def shop(tmp_path: Path) -> Iterator[SandboxShop]:
    with open_shop(tmp_path / "cache") as opened:
        yield opened


@pytest.fixture(scope="module")
def sandbox_answers(tmp_path_factory: pytest.TempPathFactory) -> list[ProductAnswer]:
    """Every hand-written sandbox case and a few ordinary products, fetched once per module:
    the two demo products, hostile titles, non-Latin and right-to-left titles, missing
    fields, and products the gateway does not return."""
    with open_shop(tmp_path_factory.mktemp("sandbox") / "cache") as shop:
        products = shop.products
        special = [
            *products.tagged_ids("demo"),
            *products.hostile_ids(),
            *products.non_latin_ids(),
            *products.missing_field_ids(),
            *products.tagged_ids("emoji"),
            *products.tagged_ids("long_title"),
            *products.not_promotable_ids(),
        ]
        ordinary = [pid for pid in products.promotable_ids() if pid not in special][:6]
        ids = list(dict.fromkeys([*special, *ordinary]))
        return shop.answers(ids)
