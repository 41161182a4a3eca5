"""The shipped nginx site (``deploy/nginx/``) in front of ``affsite serve``, both on 127.0.0.1:
public answers are kept as affsite's Cache-Control says and served while affsite is down, one
request per key reaches affsite, admin pages, clicks and cookie-carrying requests always reach
it, upstream connections are reused, and slow or oversized uploads never reach it.
"""

from __future__ import annotations

import gzip
import socket
import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from .conftest import Deploy
from .nginx import (
    Answer,
    fetch,
    main_config,
    make_certificate,
    nginx_test,
    render_site,
    upstream_connections,
)

pytestmark = pytest.mark.slow

DETAIL = "aliexpress.affiliate.productdetail.get"
PRODUCT = "1005004757833857"


def test_the_shipped_site_passes_nginx_t_with_its_placeholders_filled_in(
    nginx: str, tmp_path: Path
) -> None:
    # Listening addresses left as shipped: `nginx -t` parses them without binding.
    certificate, key = make_certificate(tmp_path)
    site = tmp_path / "affsite.conf"
    site.write_text(
        render_site(
            server_name="shop.example",
            certificate=certificate,
            certificate_key=key,
            upstream="127.0.0.1:8000",
            cache_dir=tmp_path / "cache",
        )
    )
    config = tmp_path / "nginx.conf"
    config.write_text(main_config(tmp_path, site, plain_port=None))

    checked = nginx_test(nginx, tmp_path, config)

    assert checked.returncode == 0, checked.stderr
    assert "test is successful" in checked.stderr


PUBLIC_PATHS = [
    f"/embed/box?ids={PRODUCT}",
    f"/embed/iframe/{PRODUCT}",
    "/embed.js",
    f"/api/v1/products?ids={PRODUCT}",
    f"/api/v1/snippet?ids={PRODUCT}",
    f"/api/v1/embeds?b=ids%3D{PRODUCT}",
    f"/oembed?url=https%3A%2F%2Fwww.aliexpress.com%2Fitem%2F{PRODUCT}.html",
    "/static/css/box.css",
]


def test_every_public_answer_is_kept_by_nginx(deploy: Deploy) -> None:
    site = deploy()
    port = site.front.plain_port

    for path in PUBLIC_PATHS:
        first, second = fetch(port, path), fetch(port, path)

        assert (first.status, first.cache_status) == (200, "MISS"), path
        assert (second.status, second.cache_status) == (200, "HIT"), path
        assert second.body == first.body, path
        assert site.app.requests_for(path, expected=1) == 1, path
    # One kept copy serves every visitor; nginx compresses it for those who accept gzip.
    plain = fetch(port, "/embed.js")
    packed = fetch(port, "/embed.js", {"Accept-Encoding": "gzip"})
    assert (packed.cache_status, packed.headers["Content-Encoding"]) == ("HIT", "gzip")
    assert gzip.decompress(packed.body) == plain.body


def test_a_warm_embed_is_served_by_nginx_while_affsite_is_stopped(deploy: Deploy) -> None:
    site = deploy()
    port, path = site.front.plain_port, f"/embed/box?ids={PRODUCT}"
    assert fetch(port, path).cache_status == "MISS"
    warm = fetch(port, path)
    assert (warm.status, warm.cache_status) == (200, "HIT")
    # A visitor's revalidation is answered by nginx too.
    revalidated = fetch(port, path, {"If-None-Match": warm.headers["ETag"]})
    assert (revalidated.status, revalidated.cache_status) == (304, "HIT")
    assert site.app.requests_for(path, expected=1) == 1

    site.app.stop()
    kept = fetch(port, path)
    cold = fetch(port, f"/embed/box?ids={site.sandbox.catalog.promotable_ids()[7]}")

    assert kept.status == 200
    assert kept.cache_status in ("HIT", "STALE")
    assert kept.body == warm.body
    assert cold.status == 502  # affsite really is down: nothing kept for this one


def test_fifty_concurrent_cold_requests_for_one_key_reach_affsite_once(deploy: Deploy) -> None:
    site = deploy()
    # Every visitor arrives while the first request still waits for the gateway.
    site.sandbox.inject("slow", seconds=1.0)
    path = f"/embed/box?ids={site.sandbox.catalog.promotable_ids()[3]}"
    together = threading.Barrier(50)

    def visit(_n: int) -> Answer:
        together.wait(timeout=30)
        return fetch(site.front.plain_port, path)

    with ThreadPoolExecutor(max_workers=50) as pool:
        answers = list(pool.map(visit, range(50)))

    statuses = sorted(answer.cache_status or "" for answer in answers)
    print(f"50 cold requests: {statuses.count('MISS')} MISS, {statuses.count('HIT')} HIT")
    assert {answer.status for answer in answers} == {200}
    assert len({answer.body for answer in answers}) == 1
    assert statuses == ["HIT"] * 49 + ["MISS"]
    assert site.app.requests_for(path, expected=1) == 1
    assert site.sandbox.call_count(DETAIL) == 1


def test_admin_pages_are_never_answered_from_the_cache(deploy: Deploy) -> None:
    site = deploy()
    port = site.front.plain_port

    answers = [fetch(port, "/admin/login") for _ in range(2)]

    for answer in answers:
        assert answer.status == 200
        assert answer.cache_status is None  # no cache on /admin at all
        assert answer.headers["Cache-Control"] == "no-store"
    assert site.app.requests_for("/admin/login", expected=2) == 2


def test_a_request_with_a_cookie_is_never_answered_from_or_stored_in_the_cache(
    deploy: Deploy,
) -> None:
    site = deploy()
    port = site.front.plain_port
    warm, cold = f"/embed/box?ids={PRODUCT}", f"/api/v1/products?ids={PRODUCT}"
    fetch(port, warm)
    assert fetch(port, warm).cache_status == "HIT"
    cookie = {"Cookie": "affsite_session=someone"}

    with_cookie = fetch(port, warm, cookie)
    cold_with_cookie = fetch(port, cold, cookie)
    cold_after = fetch(port, cold)

    assert (with_cookie.status, with_cookie.cache_status) == (200, "BYPASS")
    assert cold_with_cookie.cache_status == "BYPASS"
    assert cold_after.cache_status == "MISS"  # what the cookie got was not kept
    assert site.app.requests_for(warm, expected=2) == 2
    assert site.app.requests_for(cold, expected=2) == 2


def test_every_click_reaches_affsite(deploy: Deploy) -> None:
    site = deploy()
    port = site.front.plain_port
    assert fetch(port, f"/embed/box?ids={PRODUCT}").status == 200  # a product the site shows

    clicks = [fetch(port, f"/go/{PRODUCT}") for _ in range(3)]

    for click in clicks:
        assert click.status == 302
        assert click.headers["Location"].startswith("https://")
        assert click.headers["Cache-Control"] == "private, no-store"
        assert click.cache_status is None
    assert site.app.requests_for(f"/go/{PRODUCT}", expected=3) == 3


def test_connections_to_affsite_are_kept_alive(deploy: Deploy) -> None:
    site = deploy()
    before = upstream_connections(site.app.port)

    answers = [fetch(site.front.plain_port, "/admin/login") for _ in range(20)]

    opened = upstream_connections(site.app.port) - before
    print(f"20 requests through nginx opened {len(opened)} connection(s) to affsite")
    assert {answer.status for answer in answers} == {200}
    assert site.app.requests_for("/admin/login", expected=20) == 20
    assert len(opened) <= 1


def test_slow_and_oversized_uploads_never_reach_affsite(deploy: Deploy) -> None:
    site = deploy()
    front = site.front
    before = upstream_connections(site.app.port)
    head = (
        "POST /admin/login HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n"
        "Content-Type: application/x-www-form-urlencoded\r\n"
    )
    body = b"password=" + b"x" * 91
    uploads = [socket.create_connection(("127.0.0.1", front.plain_port)) for _ in range(10)]
    try:
        for upload in uploads:
            upload.sendall(f"{head}Content-Length: {len(body)}\r\n\r\n".encode() + body[:10])
        too_big = fetch(
            front.plain_port, "/admin/login", {"Content-Length": "2000000"}, method="POST"
        )
        # nginx (one worker) answers this itself, after reading what the uploads sent so far.
        assert fetch(front.http_port, "/").status == 301

        held = upstream_connections(site.app.port) - before
        assert site.app.requests_for("/admin/login", expected=0) == 0
        assert too_big.status == 413
        assert held == set()  # nginx opened no connection to affsite for them

        for upload in uploads:
            upload.sendall(body[10:])
        replies = [upload.makefile("rb").readline() for upload in uploads]
    finally:
        for upload in uploads:
            upload.close()

    # Complete now, they reach affsite (which refuses them: no CSRF token).
    assert all(reply.startswith(b"HTTP/1.1 400") for reply in replies), replies
    assert site.app.requests_for("/admin/login", method="POST", expected=10) == 10


def test_the_shipped_https_server_tells_affsite_the_scheme_and_nothing_forged(
    deploy: Deploy,
) -> None:
    site = deploy(public_url=False)
    front = site.front
    tls = front.tls_context()
    forged = {"X-Forwarded-Proto": "http", "X-Forwarded-Host": "evil.example"}

    redirect = fetch(front.http_port, f"/embed/box?ids={PRODUCT}")
    home = fetch(front.https_port, "/", forged, tls=tls)
    first = fetch(front.https_port, f"/embed/box?ids={PRODUCT}", tls=tls)
    second = fetch(front.https_port, f"/embed/box?ids={PRODUCT}", tls=tls)

    assert redirect.status == 301
    assert redirect.headers["Location"] == f"https://127.0.0.1/embed/box?ids={PRODUCT}"
    assert home.status == 200
    assert b"https://127.0.0.1/embed.js" in home.body  # the embed code names https
    assert b"evil.example" not in home.body
    assert home.headers["Strict-Transport-Security"] == "max-age=31536000"
    assert (first.cache_status, second.cache_status) == ("MISS", "HIT")
    # Without AFFSITE_PUBLIC_URL answers vary on the host: docs/deploy.md says to set it.
    assert "Host" in ", ".join(second.headers.get_all("Vary") or [])
