"""The JSON API's own guarantees (its behaviour against the catalog is in
tests/catalog/test_api.py): one product that cannot be written costs only its own item."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any

import pytest

from affsite.catalog import EXTENSION_KEY as CATALOG_KEY
from affsite.catalog import ProductAnswer, Purpose, Reason, Status

from .conftest import MakeApp


class Unwritable(ProductAnswer):
    def to_json(self) -> dict[str, Any]:
        return {"id": self.id, "orders": 10**5000}  # more digits than int -> str allows


class TwoAnswers:
    def products(self, ids: Sequence[str], *, purpose: Purpose) -> list[ProductAnswer]:
        assert Purpose(purpose) is Purpose.PUBLIC  # anyone may call: the public share pays
        return [
            Unwritable(id=ids[0], status=Status.HIT, fetched_at=1.7e9),
            ProductAnswer(id=ids[1], status=Status.FALLBACK, reason=Reason.NOT_PROMOTABLE),
        ]

    def products_with_ticket(
        self, ids: Sequence[str], *, purpose: Purpose
    ) -> tuple[list[ProductAnswer], None]:
        return self.products(ids, purpose=purpose), None  # no ticket: never handed over early


def test_a_product_that_cannot_be_written_is_an_unavailable_item(
    make_app: MakeApp, caplog: pytest.LogCaptureFixture
) -> None:
    # Issue 8 row 1: lastest_volume "1e1000000" made writing the JSON fail for every product
    # in the answer. Numbers are bounded in the models now; this keeps any other surprise to
    # the one product.
    app = make_app()
    app.extensions[CATALOG_KEY] = TwoAnswers()
    with caplog.at_level(logging.ERROR):
        response = app.test_client().get("/api/v1/products?ids=1005004757833857,33006951782")
    assert response.status_code == 200
    assert response.mimetype == "application/json"
    assert response.get_json() == [
        {"id": "1005004757833857", "available": False, "reason": "unavailable"},
        {"id": "33006951782", "available": False, "reason": "not_promotable"},
    ]
    assert response.headers["Access-Control-Allow-Origin"] == "*"
    assert "could not be written as JSON" in caplog.text


def test_bad_requests_say_what_to_do(make_app: MakeApp) -> None:
    client = make_app().test_client()
    response = client.get("/api/v1/products")
    assert response.status_code == 400
    assert response.get_json()["fix"].startswith("Add ?ids=")
    many = ",".join(str(10**11 + n) for n in range(51))
    assert client.get(f"/api/v1/products?ids={many}").status_code == 400
