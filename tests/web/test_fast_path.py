"""Warm public answers handed over before Flask: byte for byte and header for header what
Flask answers, counted like any request, and never once anything they stand on has changed."""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from flask import Flask, request, request_started
from werkzeug.test import EnvironBuilder

from affsite.aliexpress.sandbox import Sandbox
from affsite.catalog import Catalog, Status, client_factory, get_catalog
from affsite.catalog.entries import namespace
from affsite.clock import FakeClock
from affsite.settings import settings_store
from affsite.web import fast_path as fast_path_module
from affsite.web.fast_path import FastPath, fast_path

from .conftest import InstallCatalog, MakeApp

EARBUDS = "1005004757833857"
GRID = f"{EARBUDS},33006951782,1005006188820412,1005005734219905"
ROUTES = [
    f"/embed/iframe/{EARBUDS}",
    f"/embed/box?ids={EARBUDS}",
    f"/embed/grid?ids={GRID}&theme=dark",
    f"/api/v1/snippet?ids={EARBUDS}&template=box",
    f"/api/v1/snippet?ids={GRID}&template=grid&theme=light",
    f"/api/v1/products?ids={EARBUDS}",
    f"/api/v1/products?ids={GRID}",
]
WARM_UP = 3  # fetched, read back from the store, answered from memory (and kept)


@dataclass(frozen=True)
class Answer:
    status: str
    headers: list[tuple[str, str]]
    body: bytes


@dataclass
class Site:
    app: Flask
    dispatched: list[str]  # paths Flask dispatched
    wsgi: Any = None  # what requests are sent to; None: the whole app

    def call(
        self, path: str, method: str = "GET", base_url: str = "http://localhost", **headers: str
    ) -> Answer:
        """One request through the whole WSGI app, as a server makes it."""
        route, _, query = path.partition("?")
        environ = EnvironBuilder(
            path=route,
            query_string=query,
            method=method,
            base_url=base_url,
            headers=[(name.replace("_", "-"), value) for name, value in headers.items()],
        ).get_environ()
        started: list[tuple[str, list[tuple[str, str]]]] = []

        def start_response(
            status: str, header_list: list[tuple[str, str]], exc_info: Any = None
        ) -> Callable[[bytes], object]:
            started.append((status, list(header_list)))
            return lambda data: None

        wsgi = self.app if self.wsgi is None else self.wsgi
        result = wsgi(environ, start_response)
        try:
            body = b"".join(result)
        finally:
            getattr(result, "close", lambda: None)()
        assert len(started) == 1
        return Answer(started[0][0], started[0][1], body)

    def through_flask(self, path: str, method: str = "GET", **headers: str) -> Answer:
        """The same request with the fast path switched off."""
        layer = fast_path(self.app)
        layer.enabled = False
        try:
            return self.call(path, method, **headers)
        finally:
            layer.enabled = True

    def warm(self, path: str) -> None:
        for _ in range(WARM_UP):
            self.call(path)

    def header(self, answer: Answer, name: str) -> str | None:
        return next((v for k, v in answer.headers if k.lower() == name.lower()), None)


@contextlib.contextmanager
def watching(app: Flask) -> Iterator[Site]:
    """The app, with every request Flask itself dispatches counted."""
    dispatched: list[str] = []

    def count(sender: Flask, **_: object) -> None:
        dispatched.append(request.path)

    request_started.connect(count, app)
    try:
        yield Site(app, dispatched)
    finally:
        request_started.disconnect(count, app)


@pytest.fixture
def site(app: Flask) -> Iterator[Site]:
    with watching(app) as site:
        yield site


@pytest.mark.parametrize("route", ROUTES)
def test_the_fast_path_answers_exactly_as_flask_does(site: Site, route: str) -> None:
    site.warm(route)
    tag = site.header(site.call(route), "ETag")
    assert tag is not None
    conditions: list[tuple[dict[str, str], str]] = [
        ({}, "200 OK"),
        ({"If_None_Match": tag}, "304 NOT MODIFIED"),
        ({"If_None_Match": f"W/{tag}"}, "304 NOT MODIFIED"),
        ({"If_None_Match": '"other", ' + tag}, "304 NOT MODIFIED"),
        ({"If_None_Match": "*"}, "304 NOT MODIFIED"),
        ({"If_None_Match": '"other"'}, "200 OK"),
        ({"Origin": "https://blog.example", "Cookie": "session=anything"}, "200 OK"),
    ]
    for method in ("GET", "HEAD"):
        for headers, status in conditions:
            site.call(route, method, **headers)  # a 304 or HEAD is kept once Flask gave it
            before = len(site.dispatched)
            fast = site.call(route, method, **headers)
            assert len(site.dispatched) == before, (method, headers)  # Flask was not asked
            assert fast == site.through_flask(route, method, **headers), (method, headers)
            assert fast.status == status
            assert (fast.body == b"") == (method == "HEAD" or status.startswith("304"))


def test_the_cache_headers_and_security_headers_are_all_there(site: Site) -> None:
    route = f"/embed/grid?ids={GRID}"
    site.warm(route)
    answer = site.call(route)
    names = {name for name, _ in answer.headers}
    assert {"Content-Security-Policy", "ETag", "Last-Modified", "Cache-Control"} <= names
    assert site.header(answer, "Cache-Control") == (
        "public, max-age=300, stale-while-revalidate=3600, stale-if-error=86400"
    )
    assert "Set-Cookie" not in names and site.header(answer, "X-Cache") == "HIT"


def test_every_request_is_counted_as_a_view(site: Site, app: Flask) -> None:
    route = f"/api/v1/snippet?ids={GRID}&template=grid"
    site.warm(route)
    for _ in range(7):
        site.call(route)
    with app.app_context():
        catalog = get_catalog()
        catalog.flush()
        rows = catalog.index.rows(namespace(catalog.settings()))
        answered = catalog.stats().counters
    assert all(rows[pid].total_views == WARM_UP + 7 for pid in GRID.split(","))
    assert answered[Status.HIT] >= 4 * 8  # every fast answer counted as the catalog's HIT


def test_a_saved_setting_shows_on_the_next_request(site: Site, app: Flask) -> None:
    route = f"/api/v1/snippet?ids={EARBUDS}&template=box"
    site.warm(route)
    before = site.call(route)
    with app.app_context():
        settings_store().save({"button_text": "See today's price"})
    count = len(site.dispatched)
    after = site.call(route)
    assert len(site.dispatched) == count + 1  # through Flask
    assert b"See today" in after.body and b"See today" not in before.body
    assert site.header(after, "ETag") != site.header(before, "ETag")
    site.call(route)  # read back
    count = len(site.dispatched)
    assert site.call(route) == after and len(site.dispatched) == count  # kept again


def test_a_product_written_by_any_worker_is_shown_on_the_next_request(
    site: Site, app: Flask, clock: FakeClock
) -> None:
    route = f"/embed/iframe/{EARBUDS}"
    site.warm(route)
    before = site.call(route)
    clock.advance(600)
    with app.app_context():
        assert get_catalog().refresh(budget=5, horizon=10 * 86_400).calls >= 1
    count = len(site.dispatched)
    after = site.call(route)
    assert len(site.dispatched) == count + 1
    assert site.header(after, "Last-Modified") != site.header(before, "Last-Modified")


def test_an_answer_that_ages_is_served_stale_by_flask_and_renewed(
    app: Flask, install_catalog: InstallCatalog, clock: FakeClock
) -> None:
    # A sandbox on the test's clock (the demo one checks request times against the real one).
    install_catalog(client_factory=client_factory(Sandbox(clock=clock).transport()))
    with watching(app) as site:
        route = f"/api/v1/products?ids={EARBUDS}"
        site.warm(route)
        with site.app.app_context():
            ttl = settings_store().load().cache_ttl
        clock.advance(ttl * 1.11 + 1)  # past any entry's freshness (jitter is at most 10 %)
        count = len(site.dispatched)
        stale = site.call(route)
        assert len(site.dispatched) == count + 1
        assert site.header(stale, "X-Cache") == "STALE"
        assert site.header(stale, "Cache-Control") == "public, max-age=60"
        renewed = site.call(route)  # the refresh ran behind the stale answer
        assert site.header(renewed, "X-Cache") == "HIT"


@pytest.mark.parametrize(
    "route",
    [
        f"/api/v1/snippet?ids={EARBUDS}&template=box&search=earbuds",
        f"/embed/grid?ids={EARBUDS}&utm_source=mail",
        f"/api/v1/products?ids={EARBUDS},not-an-id&sort=price",
    ],
)
def test_a_query_naming_anything_but_products_always_goes_through_flask(
    site: Site, route: str
) -> None:
    site.warm(route)
    count = len(site.dispatched)
    for _ in range(3):
        site.call(route)
    assert len(site.dispatched) == count + 3
    assert len(fast_path(site.app)) == 0


def test_other_methods_hosts_and_refusals_go_through_flask(site: Site) -> None:
    route = f"/api/v1/snippet?ids={EARBUDS}&template=box"
    site.warm(route)
    count = len(site.dispatched)
    site.call(route, "OPTIONS")
    site.call(route, "POST")
    other = site.call(route, base_url="http://shop.example")  # names its host: drawn for it
    assert b"http://shop.example/go/" in other.body
    for refused in ("/api/v1/snippet?ids=x", "/embed/carousel?ids=1", "/embed/iframe/x"):
        site.call(refused)
        site.call(refused)
    assert len(site.dispatched) == count + 3 + 6


def test_a_catalog_put_in_place_later_is_asked(site: Site, install_catalog: InstallCatalog) -> None:
    route = f"/api/v1/products?ids={EARBUDS}"
    site.warm(route)
    replaced: Catalog = install_catalog()
    count = len(site.dispatched)
    site.call(route)
    assert len(site.dispatched) == count + 1  # the old catalog's tickets are not replayed
    assert replaced is site.app.extensions["affsite.catalog"]


def test_the_memory_is_bounded(app: Flask) -> None:
    layer = FastPath(app, fast_path(app).full, max_answers=2)
    with watching(app) as site:
        site.wsgi = layer
        for route in ROUTES[:4]:
            site.warm(route)
    assert len(layer) == 2


def test_the_memory_is_bounded_by_bytes_too(
    make_app: MakeApp, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A worker's memory must not grow with the site's catalog: many distinct warm answers,
    # together well over the budget (read when the app is made), leave the layer within it.
    budget = 16 << 10
    monkeypatch.setattr(fast_path_module, "MAX_ANSWER_BYTES", budget)
    app = make_app()
    layer = fast_path(app)
    with watching(app) as site:
        for route in ROUTES:  # each a few kB, all of them together more than twice the budget
            latest = [site.call(route) for _ in range(WARM_UP)][-1]
        assert layer._kept.bytes <= budget
        assert 0 < len(layer) < len(ROUTES)
        count = len(site.dispatched)
        assert site.call(ROUTES[-1]) == latest  # the most recent answer is still kept ...
        assert len(site.dispatched) == count
        site.call(ROUTES[0])  # ... the oldest was let go: Flask answers it again
        assert len(site.dispatched) == count + 1
