"""Fixtures for the command-line tests: a temporary instance folder, a cheap password hash,
and a site whose catalog talks to an in-process sandbox gateway on a fake clock."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from flask import Flask
from flask.cli import ScriptInfo

from affsite import create_app
from affsite.aliexpress.sandbox import Sandbox
from affsite.cache import CacheStores
from affsite.catalog import Catalog, client_factory, init_app
from affsite.cli import cli
from affsite.clock import FakeClock
from affsite.settings import Settings

FAST_HASH = {"AFFSITE_PASSWORD_HASH_METHOD": "pbkdf2:sha256:1"}
DETAIL = "aliexpress.affiliate.productdetail.get"

Run = Callable[..., Result]


@pytest.fixture
def instance(tmp_path: Path) -> Path:
    return tmp_path / "instance"


def invoke(instance: Path, args: list[str], input: str | None = None) -> Result:
    """Run ``affsite ARGS`` in-process on ``instance``."""
    env = {"AFFSITE_INSTANCE": str(instance), **FAST_HASH}
    return CliRunner().invoke(cli, args, input=input, env=env, prog_name="affsite")


@pytest.fixture
def runner(instance: Path, monkeypatch: pytest.MonkeyPatch) -> CliRunner:
    """A runner whose commands load the app on ``instance`` (demo mode: no credentials)."""
    monkeypatch.setenv("AFFSITE_INSTANCE", str(instance))
    return CliRunner()


@pytest.fixture
def sandbox(clock: FakeClock) -> Sandbox:
    return Sandbox(clock=clock, tracking_ids=("affsite_demo", "default"))


@pytest.fixture
def promotable(sandbox: Sandbox) -> list[str]:
    return sandbox.catalog.promotable_ids()


@pytest.fixture
def site(
    instance: Path,
    clock: FakeClock,
    sandbox: Sandbox,
    open_backend_stores: Callable[..., CacheStores],
) -> Iterator[Flask]:
    """The real app on ``instance``, its catalog calling ``sandbox`` on the fake clock (the
    speed limiter generous), its stores on disk or in Redis (``store_backend``)."""
    app = create_app({"TESTING": True, "INSTANCE_PATH": str(instance), "CLOCK": clock})
    catalog = Catalog(
        settings=lambda: Settings(rate_limit=1000.0),
        stores=open_backend_stores(instance / "cache"),
        client_factory=client_factory(sandbox.transport()),
        clock=clock,
        sleep=clock.sleep,
    )
    init_app(app, catalog)
    yield app
    catalog.close()


@pytest.fixture
def run(site: Flask) -> Run:
    """Run ``affsite ARGS`` in-process against ``site``."""

    def invoke(*args: str, input: str | None = None) -> Result:
        return CliRunner().invoke(
            cli, list(args), obj=ScriptInfo(create_app=lambda: site), input=input
        )

    return invoke
