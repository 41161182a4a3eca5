"""``POST /api/v1/expand``: only with an API token; text in, HTML out; one catalog request.

The app's catalog talks to a sandbox of the test's own, so gateway calls can be counted.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import EnvironBuilder, FlaskClient
from werkzeug.test import TestResponse

from affsite import catalog as catalog_module
from affsite.aliexpress.sandbox import Sandbox
from affsite.cache import open_stores
from affsite.catalog import Catalog, ProductAnswer, client_factory
from affsite.catalog.entries import namespace
from affsite.clock import FakeClock
from affsite.settings import Settings, settings_store
from affsite.web.api_tokens import api_tokens
from affsite.web.expand_api import MAX_BODY

from .conftest import MakeApp

DETAIL = "aliexpress.affiliate.productdetail.get"
EARBUDS = "1005004757833857"
HOSTILE_TITLE = "1005006188820412"  # "<script>alert(1)</script> Smart Watch ..."
BAD_ID = '[aliexpress id="12"]'


@pytest.fixture
def sandbox(clock: FakeClock) -> Sandbox:
    return Sandbox(clock=clock, tracking_ids=("affsite_demo",))


@pytest.fixture
def catalog(app: Flask, sandbox: Sandbox, clock: FakeClock, instance: Path) -> Iterator[Catalog]:
    with app.app_context():
        store = settings_store()
    made = Catalog(
        settings=store.load,
        stores=open_stores(instance / "cache"),
        client_factory=client_factory(sandbox.transport()),
        clock=clock,
        sleep=clock.sleep,
    )
    catalog_module.init_app(app, made)
    yield made
    made.close()


@pytest.fixture
def token(app: Flask) -> str:
    _, made = api_tokens(app).create("build server")
    return made


def expand(
    client: FlaskClient, body: Any, token: str | None, *, json_body: bool = False, **headers: str
) -> TestResponse:
    if token is not None:
        headers["Authorization"] = f"Bearer {token}"
    if json_body:
        return client.post("/api/v1/expand", json=body, headers=headers)
    headers.setdefault("Content-Type", "text/html; charset=utf-8")
    return client.post("/api/v1/expand", data=body, headers=headers)


def assert_refused(response: TestResponse, *, invalid: bool) -> None:
    assert response.status_code == 401
    challenge = response.headers["WWW-Authenticate"]
    assert challenge.startswith("Bearer ")
    assert ('error="invalid_token"' in challenge) is invalid
    answer = response.get_json()
    assert set(answer) == {"error", "fix"}
    assert "settings page" in answer["fix"]
    assert "html" not in answer


# --- who may call it --------------------------------------------------------------------------


def test_without_a_token_the_answer_is_401_with_a_bearer_challenge(
    client: FlaskClient, catalog: Catalog, sandbox: Sandbox
) -> None:
    response = expand(client, f"[aliexpress {EARBUDS}]", None)
    assert_refused(response, invalid=False)
    assert "needs an API token" in response.get_json()["error"]
    assert sandbox.call_count() == 0


@pytest.mark.parametrize(
    "authorization",
    ["Bearer", "Bearer ", "Basic dXNlcjpwYXNz", "Token affsite_x", "bearer-affsite_x"],
)
def test_malformed_authorization_is_refused(
    client: FlaskClient, catalog: Catalog, token: str, authorization: str
) -> None:
    response = client.post("/api/v1/expand", data="x", headers={"Authorization": authorization})
    assert_refused(response, invalid=False)


def test_a_wrong_token_is_401_invalid_token_and_never_echoed(
    client: FlaskClient, catalog: Catalog, token: str, caplog: pytest.LogCaptureFixture
) -> None:
    wrong = token[:-4] + ("AAAA" if not token.endswith("AAAA") else "BBBB")
    response = expand(client, "x", wrong)
    assert_refused(response, invalid=True)
    assert wrong not in response.get_data(as_text=True)
    assert wrong not in caplog.text and token not in caplog.text


def test_an_overlong_token_is_refused_without_hashing(
    client: FlaskClient, catalog: Catalog
) -> None:
    assert_refused(expand(client, "x", "a" * 10_000), invalid=True)


def test_a_revoked_token_stops_working_at_once(
    app: Flask, client: FlaskClient, catalog: Catalog
) -> None:
    made, token = api_tokens(app).create("old server")
    assert expand(client, "x", token).status_code == 200
    api_tokens(app).revoke(made.id)
    assert_refused(expand(client, "x", token), invalid=True)


def test_the_scheme_is_case_insensitive(client: FlaskClient, catalog: Catalog, token: str) -> None:
    response = client.post("/api/v1/expand", data="x", headers={"Authorization": f"bearer {token}"})
    assert response.status_code == 200


def test_an_admin_session_is_not_a_token(admin: FlaskClient, catalog: Catalog) -> None:
    assert_refused(expand(admin, "x", None), invalid=False)


# --- what it answers -------------------------------------------------------------------------


def test_text_in_json_out(client: FlaskClient, catalog: Catalog, token: str) -> None:
    text = f'<h2>Picks</h2>\n[aliexpress {EARBUDS} template="compact"]\n{BAD_ID}\n<p>end</p>'
    response = expand(client, text.encode(), token)
    assert response.status_code == 200
    assert response.mimetype == "application/json"
    answer = response.get_json()
    assert set(answer) == {"html", "problems"}
    html = answer["html"]
    assert html.startswith('<h2>Picks</h2>\n<div class="affsite affsite-compact')
    assert html.endswith("\n<p>end</p>")
    assert f'data-product-id="{EARBUDS}"' in html
    assert '<!-- affsite: [aliexpress id="12"] id: 12 is not a product id' in html
    assert answer["problems"] == [
        {
            "line": 3,
            "shortcode": BAD_ID,
            "reason": "id: 12 is not a product id: it has 2 digits; product ids have 6 to 19",
        }
    ]


def test_json_body_in(client: FlaskClient, catalog: Catalog, token: str) -> None:
    response = expand(client, {"text": f"[aliexpress {EARBUDS}]"}, token, json_body=True)
    assert response.status_code == 200
    assert f'data-product-id="{EARBUDS}"' in response.get_json()["html"]


@pytest.mark.parametrize("body", [{"txt": "x"}, {"text": 3}, ["x"], "x"])
def test_json_without_text_is_a_400_saying_what_to_send(
    client: FlaskClient, catalog: Catalog, token: str, body: Any
) -> None:
    response = expand(client, body, token, json_body=True)
    assert response.status_code == 400
    assert response.get_json()["fix"] == 'Send {"text": "…"}.'


def test_html_out_when_the_caller_prefers_it(
    client: FlaskClient, catalog: Catalog, token: str
) -> None:
    text = f"<p>a</p>[aliexpress {EARBUDS}]{BAD_ID}"
    response = expand(client, text, token, Accept="text/html")
    assert response.status_code == 200
    assert response.mimetype == "text/html"
    body = response.get_data(as_text=True)
    assert body.startswith('<p>a</p><div class="affsite')
    assert response.headers["X-Affsite-Problems"] == "1"


def test_hostile_product_data_comes_out_escaped(
    client: FlaskClient, catalog: Catalog, token: str
) -> None:
    html = expand(client, f"[aliexpress {HOSTILE_TITLE}]", token).get_json()["html"]
    assert "<script" not in html
    assert "&lt;script&gt;" in html


def test_a_100_tag_article_is_one_catalog_call_and_batched_gateway_calls(
    client: FlaskClient,
    catalog: Catalog,
    token: str,
    sandbox: Sandbox,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    products = sandbox.catalog.promotable_ids()[:60]
    text = "\n".join(f"<p>{i}</p> [aliexpress {products[i % 60]}]" for i in range(100))
    asked: list[int] = []
    real = catalog.products

    def counted(ids: Sequence[str], **kwargs: Any) -> list[ProductAnswer]:
        asked.append(len(ids))
        return real(ids, **kwargs)

    monkeypatch.setattr(catalog, "products", counted)
    cold = expand(client, text, token)
    assert cold.status_code == 200 and cold.get_json()["problems"] == []
    assert cold.get_json()["html"].count("data-product-id=") == 100
    assert asked == [60]  # every distinct product, once, in one request
    calls = sandbox.call_count(DETAIL)
    assert 1 <= calls <= math.ceil(60 / Settings().batch_size)
    assert expand(client, text, token).status_code == 200
    assert asked == [60, 60]
    assert sandbox.call_count(DETAIL) == calls  # warm: nothing more from the gateway


def test_its_products_become_the_sites_own(
    app: Flask, client: FlaskClient, catalog: Catalog, token: str
) -> None:
    # The text is the site's: its products are paid and kept as the site's pages' are, not
    # from the share for new products that public requests ask for.
    assert expand(client, f"[aliexpress {EARBUDS}]", token).status_code == 200
    with app.app_context():
        ns = namespace(settings_store().load())
    assert catalog.index.for_site(ns, [EARBUDS], since=0.0) == {EARBUDS}


# --- limits and headers ----------------------------------------------------------------------


def test_a_body_over_the_cap_is_413(client: FlaskClient, catalog: Catalog, token: str) -> None:
    response = expand(client, b"x" * (MAX_BODY + 1), token)
    assert response.status_code == 413
    assert "Split it" in response.get_json()["fix"]
    assert expand(client, b"x" * MAX_BODY, token).status_code == 200


def test_a_body_without_content_length_is_capped_too(
    app: Flask, client: FlaskClient, catalog: Catalog, token: str
) -> None:
    builder = EnvironBuilder(
        app=app,
        path="/api/v1/expand",
        method="POST",
        data=b"x" * (MAX_BODY + 1),
        headers={"Authorization": f"Bearer {token}", "Content-Type": "text/plain"},
    )
    environ = builder.get_environ()
    del environ["CONTENT_LENGTH"]  # sent chunked: the server knows its end, not its length
    environ["wsgi.input_terminated"] = True
    response = client.open(environ)
    assert response.status_code == 413
    assert "longer than 1024 kB" in response.get_json()["error"]


def test_bad_encodings_and_types_are_400_and_415(
    client: FlaskClient, catalog: Catalog, token: str
) -> None:
    assert expand(client, "caf\xe9".encode("latin-1"), token).status_code == 400
    form = client.post(
        "/api/v1/expand",
        data={"text": "x"},
        headers={"Authorization": f"Bearer {token}"},
    )
    assert form.mimetype == "application/json" and form.status_code == 415


def test_no_cookie_no_cache_no_cors_and_nothing_runs_if_opened(
    admin: FlaskClient, catalog: Catalog, token: str
) -> None:
    for response in (expand(admin, "x", token), expand(admin, "x", None)):
        headers = response.headers
        assert "Set-Cookie" not in headers
        assert "cookie" not in headers.get("Vary", "").lower()
        assert headers["Cache-Control"] == "no-store"
        assert headers["X-Content-Type-Options"] == "nosniff"
        assert "sandbox" in headers["Content-Security-Policy"]
        assert "Access-Control-Allow-Origin" not in headers


def test_it_needs_no_csrf_token_but_admin_forms_still_do(make_app: MakeApp, instance: Path) -> None:
    app = make_app(WTF_CSRF_ENABLED=True)
    _, token = api_tokens(app).create("ci")
    client = app.test_client()
    response = expand(client, "<p>x</p>", token)
    assert response.status_code == 200
    assert json.loads(response.get_data())["html"] == "<p>x</p>"
    assert client.post("/admin/login", data={"password": "x"}).status_code == 400
