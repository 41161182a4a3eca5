"""Which proxy headers are believed, and the URL root (issue 8 row 4)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import pytest
from flask.testing import FlaskClient

from affsite.web.proxies import UrlRoot, is_url_root

from .conftest import MakeApp


def seen_root(middleware_of: Any, environ: dict[str, Any]) -> str:
    """The SCRIPT_NAME an app wrapped by ``middleware_of`` sees for ``environ``."""
    seen: list[str] = []

    def app(environ: dict[str, Any], start_response: Any) -> Iterable[bytes]:
        seen.append(environ["SCRIPT_NAME"])
        return [b""]

    middleware_of(app)(environ, lambda *args: None)
    return seen[0]


@pytest.mark.parametrize("forged", ["//evil.example", "/shop", "http://evil.example", "/\\evil"])
def test_the_server_never_chooses_the_url_root(forged: str) -> None:
    def wrap(app: Any) -> UrlRoot:
        return UrlRoot(app, root="", trusted_prefixes=0)

    assert seen_root(wrap, {"SCRIPT_NAME": forged}) == ""
    assert seen_root(wrap, {"SCRIPT_NAME": forged, "HTTP_X_FORWARDED_PREFIX": "/x"}) == ""


def test_the_configured_root_is_used() -> None:
    def wrap(app: Any) -> UrlRoot:
        return UrlRoot(app, root="/boxes", trusted_prefixes=0)

    assert seen_root(wrap, {"SCRIPT_NAME": "//evil.example"}) == "/boxes"


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ("/shop", "/shop"),
        ("/shop/", "/shop"),
        ("/a/b", "/a/b"),
        ("/forged, /shop", "/shop"),  # the proxy's own value is the last one
        ("//evil.example", "/boxes"),
        ("/shop/../admin", "/boxes"),
        ("https://evil.example", "/boxes"),
        ("/sh op", "/boxes"),
        (None, "/boxes"),
    ],
)
def test_a_trusted_prefix_is_used_only_when_it_is_a_plain_path(
    header: str | None, expected: str
) -> None:
    def wrap(app: Any) -> UrlRoot:
        return UrlRoot(app, root="/boxes", trusted_prefixes=1)

    environ = {"SCRIPT_NAME": "//evil.example"}
    if header is not None:
        environ["HTTP_X_FORWARDED_PREFIX"] = header
    assert seen_root(wrap, environ) == expected


def test_two_trusted_proxies_count_from_the_right() -> None:
    def wrap(app: Any) -> UrlRoot:
        return UrlRoot(app, root="", trusted_prefixes=2)

    assert seen_root(wrap, {"HTTP_X_FORWARDED_PREFIX": "/forged, /outer, /inner"}) == "/outer"
    assert seen_root(wrap, {"HTTP_X_FORWARDED_PREFIX": "/only-one"}) == ""


def test_a_bad_configured_root_is_refused() -> None:
    with pytest.raises(ValueError):
        UrlRoot(lambda e, s: [b""], root="//evil.example", trusted_prefixes=0)


def test_url_roots() -> None:
    assert is_url_root("") and is_url_root("/boxes") and is_url_root("/a.b/c~d")
    for path in ("/", "//x", "/a//b", "/..", "/a/./b", "a", "/a b", "/a\\b", "/é"):
        assert not is_url_root(path), path


def test_public_url_path_is_the_url_root_of_every_page(make_app: MakeApp) -> None:
    client: FlaskClient = make_app(PUBLIC_URL="https://shop.example/boxes").test_client()
    page = client.get("/", environ_overrides={"SCRIPT_NAME": "/forged"}).get_data(as_text=True)
    assert 'href="/boxes/static/css/affsite.css' in page
    assert "/forged" not in page


def test_client_addresses_come_from_the_trusted_proxy_only(make_app: MakeApp) -> None:
    from flask import request

    app = make_app(PROXY_FIX=1)

    @app.get("/_address")
    def address() -> str:
        return f"{request.remote_addr} {request.scheme}"

    client = app.test_client()
    headers = {"X-Forwarded-For": "203.0.113.9, 198.51.100.7", "X-Forwarded-Proto": "https"}
    assert client.get("/_address", headers=headers).get_data(as_text=True) == "198.51.100.7 https"
    untrusting = make_app()

    @untrusting.get("/_address")
    def address_untrusted() -> str:
        return f"{request.remote_addr} {request.scheme}"

    body = untrusting.test_client().get("/_address", headers=headers).get_data(as_text=True)
    assert body == "127.0.0.1 http"


def test_trusted_hosts_refuse_other_host_names(
    make_app: MakeApp, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Flask's TRUSTED_HOSTS, set as AFFSITE_TRUSTED_HOSTS='["shop.example"]': any other Host
    # is a plain 400 (no page can be built without a trusted host).
    monkeypatch.setenv("AFFSITE_TRUSTED_HOSTS", '["shop.example", ".shop.example"]')
    client = make_app().test_client()
    refused = client.get("/", headers={"Host": "evil.example"})
    assert refused.status_code == 400
    assert refused.mimetype == "text/plain"
    assert "evil.example" not in refused.get_data(as_text=True)
    assert client.get("/healthz", headers={"Host": "shop.example"}).status_code == 200
    assert client.get("/healthz", headers={"Host": "www.shop.example"}).status_code == 200
