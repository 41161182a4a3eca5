"""Answers: statuses and reasons are types whose values on the wire never change."""

from __future__ import annotations

import dataclasses
import json

import pytest

from affsite.aliexpress import Product
from affsite.catalog import STATUS_SEVERITY, Failure, ProductAnswer, Reason, Status
from affsite.catalog.answers import aggregate_status, fallback


def test_x_cache_shows_the_worst_status() -> None:
    def answer(status: Status) -> ProductAnswer:
        return ProductAnswer(id="1", status=status)

    hit, negative, miss = answer(Status.HIT), answer(Status.NEGATIVE), answer(Status.MISS)
    stale, gone = answer(Status.STALE), answer(Status.FALLBACK)
    assert aggregate_status([]) == Status.HIT
    assert aggregate_status([hit, negative]) == Status.NEGATIVE
    assert aggregate_status([hit, miss, negative]) == Status.MISS
    assert aggregate_status([miss, stale]) == Status.STALE
    assert aggregate_status([stale, gone, hit]) == Status.FALLBACK


def test_statuses_and_reasons_keep_their_words_on_the_wire() -> None:
    # X-Cache, the JSON API, the CLI and the control store's counters all carry these words.
    assert [str(status) for status in Status] == ["HIT", "NEGATIVE", "MISS", "STALE", "FALLBACK"]
    assert list(STATUS_SEVERITY.values()) == [0, 1, 2, 3, 4]
    assert {str(reason) for reason in Reason} == {
        "not_promotable",
        "invalid_id",
        "quota_exhausted",
        "banned",
        "gateway_down",
        "rate_limited",
        "credentials_rejected",
        "not_configured",
        "new_product_limit",
        "limits_unavailable",
        "unavailable",
    }
    answer = Failure(reason=Reason.GATEWAY_DOWN, problem="HTTP 502").answer("1005004757833857")
    text = json.dumps(answer.to_json())
    assert text == '{"id": "1005004757833857", "available": false, "reason": "gateway_down"}'
    assert f"{answer.status}" == "FALLBACK" and json.dumps(answer.status) == '"FALLBACK"'


def test_answers_are_built_with_keywords() -> None:
    with pytest.raises(TypeError):
        ProductAnswer("1", Status.HIT)  # type: ignore[call-arg]
    with pytest.raises(TypeError):
        Failure(Reason.BANNED)  # type: ignore[call-arg]


def test_an_available_answer_is_the_public_product_shape() -> None:
    product = Product(id="1005004757833857", title="Earbuds")
    answer = ProductAnswer(
        id=product.id, status=Status.HIT, product=product, fetched_at=1_700_000_000
    )
    assert answer.available
    data = answer.to_json()
    assert (data["id"], data["available"], data["title"]) == (product.id, True, "Earbuds")
    assert data["fetched_at"] == "2023-11-14T22:13:20Z"
    gone = dataclasses.replace(answer, product=None, status=Status.FALLBACK, reason=None)
    assert gone.to_json()["reason"] == "unavailable"


def test_input_that_is_no_id_is_cut_short_in_its_fallback() -> None:
    answer = fallback("x" * 500, Reason.INVALID_ID)
    assert (answer.status, answer.reason, len(answer.id)) == (
        Status.FALLBACK,
        Reason.INVALID_ID,
        64,
    )
