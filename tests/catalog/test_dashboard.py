"""The admin dashboard shows what the catalog knows: quota, cache, errors, lost products."""

from __future__ import annotations

import dataclasses
import sqlite3

import diskcache
import pytest
from flask import Flask
from flask.testing import FlaskClient

from affsite.aliexpress.sandbox import Sandbox, SandboxCatalog
from affsite.catalog import Catalog
from affsite.clock import FakeClock
from affsite.web.auth import PASSWORD_KEY

PASSWORD = "correct horse battery staple"


@pytest.fixture
def admin(web_app: Flask) -> FlaskClient:
    web_app.extensions[PASSWORD_KEY].set(PASSWORD)
    client = web_app.test_client()
    assert client.post("/admin/login", data={"password": PASSWORD}).status_code == 303
    return client


def test_quota_cache_and_reset_time_are_shown(
    admin: FlaskClient, catalog: Catalog, clock: FakeClock, promotable: list[str]
) -> None:
    catalog.products(promotable[:3])
    catalog.products(promotable[:3])
    page = admin.get("/admin/").get_data(as_text=True)
    assert "1 of 5000 used" in page
    assert "4999 left: 4899 for pages, 100 kept for admin actions" in page
    assert "16:00 UTC" in page and "00:00 Beijing time" in page
    assert "3 entries" in page
    assert "Hit ratio 50.0%" in page
    assert "0 stale answers served" in page
    assert "Cache degraded" not in page


def test_recent_errors_and_products_that_stopped_being_promotable(
    admin: FlaskClient, catalog: Catalog, sandbox: Sandbox, clock: FakeClock
) -> None:
    hostile = sandbox.catalog.hostile_ids()[0]
    catalog.products([hostile])
    clock.advance(1.2 * 86_400)
    products = [
        dataclasses.replace(p, promotable=False) if p.global_id == hostile else p
        for p in sandbox.catalog.products
    ]
    sandbox.catalog = SandboxCatalog(products, sandbox.catalog.categories)
    catalog.products([hostile])  # stale answer; the refresh finds it gone
    sandbox.inject("server_error", status=502)
    catalog.products(sandbox.catalog.promotable_ids()[:1])

    page = admin.get("/admin/").get_data(as_text=True)
    gone = page.split('id="stopped-promotable"', 1)[1].split("</ul>", 1)[0]
    assert hostile in gone
    assert "<script" not in gone.lower() and "&lt;" in gone, "titles are escaped"
    errors = page.split('id="recent-errors"', 1)[1].split("</ul>", 1)[0]
    assert "AliExpress answered HTTP 502" in errors
    assert "try again in a few minutes" in errors


def test_a_degraded_cache_is_announced(
    admin: FlaskClient,
    catalog: Catalog,
    monkeypatch: pytest.MonkeyPatch,
    promotable: list[str],
) -> None:
    def refuse(*args: object, **kwargs: object) -> bool:
        raise sqlite3.OperationalError("database or disk is full")

    monkeypatch.setattr(diskcache.Cache, "set", refuse)
    catalog.products(promotable[:1])
    page = admin.get("/admin/").get_data(as_text=True)
    assert 'id="cache-degraded"' in page
    assert "the disk is full" in page
