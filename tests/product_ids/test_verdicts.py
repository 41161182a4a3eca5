"""The result types: exactly one of id and error, keyword-built, forms and kinds as strings."""

from __future__ import annotations

import json
from dataclasses import FrozenInstanceError

import pytest

from affsite.errors import ProductIdError
from affsite.product_ids import ExtractResult, Form, Kind, Resolution, Verdict, resolve

G = "1005001513148147"


def test_require_id_raises_product_id_error_with_the_reason() -> None:
    assert resolve(G).require_id() == G
    with pytest.raises(ProductIdError, match="store page"):
        resolve("https://www.aliexpress.com/store/1102181980").require_id()


def test_a_resolution_without_a_reason_still_explains_itself() -> None:
    with pytest.raises(ProductIdError, match="not an AliExpress product"):
        Resolution(input="x").require_id()


def test_to_json_gives_plain_strings() -> None:
    found = Resolution(input=G, id=G, raw_id=G, form=Form.BARE_ID)

    as_json = found.to_json()

    assert as_json == {"input": G, "id": G, "raw_id": G, "form": "bare_id", "error": None}
    assert type(as_json["form"]) is str
    assert json.loads(json.dumps(as_json)) == as_json


def test_value_objects_are_built_with_keywords_and_frozen() -> None:
    with pytest.raises(TypeError):
        Resolution(G, G)  # type: ignore[call-arg]
    with pytest.raises(TypeError):
        Verdict(Kind.PRODUCT)  # type: ignore[call-arg]
    found = Resolution(input=G, id=G)
    with pytest.raises(FrozenInstanceError):
        found.id = "1"  # type: ignore[misc]


def test_forms_and_kinds_compare_equal_to_their_names() -> None:
    names: list[str] = [Form.SHORT_LINK, Kind.OTHER_PAGE]

    assert names == ["short_link", "other_page"]
    assert {form.value for form in Form} >= {"item", "i_path", "deep_link", "intent"}


def test_a_verdict_becomes_the_resolution_of_the_text_it_was_made_for() -> None:
    verdict = Verdict(kind=Kind.PRODUCT, id=G, raw_id=G, form=Form.ITEM)

    assert verdict.to_resolution(" pasted ") == Resolution(
        input=" pasted ", id=G, raw_id=G, form=Form.ITEM
    )


def test_extract_result_ids_lists_the_products_in_order() -> None:
    result = ExtractResult(
        products=[Resolution(input="b", id="222222"), Resolution(input="a", id="111111")],
        failures=[Resolution(input="c", error="no")],
    )

    assert result.ids == ["222222", "111111"]
