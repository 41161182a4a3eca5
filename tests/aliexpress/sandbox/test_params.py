"""The sandbox reads parameters as the gateway does and refuses bad ones with its codes."""

from __future__ import annotations

import pytest

from affsite.aliexpress.sandbox.params import (
    GatewayError,
    choice,
    comma_list,
    country_code,
    int_param,
    optional,
    requested_fields,
    target_currency,
    target_language,
)


def test_empty_parameters_count_as_absent() -> None:
    assert optional({"a": ""}, "a") is None and optional({}, "a") is None
    assert optional({"a": "x"}, "a") == "x"


def test_whole_numbers_within_bounds() -> None:
    assert int_param({}, "page_no", 1, 1, 10) == 1
    assert int_param({"page_no": "7"}, "page_no", 1, 1, 10) == 7
    for bad in ("0", "11", "-1", "1.5", "x"):
        with pytest.raises(GatewayError) as caught:
            int_param({"page_no": bad}, "page_no", 1, 1, 10)
        assert caught.value.code == "InvalidParameter"


def test_choices_are_case_insensitive_and_checked() -> None:
    assert choice({"sort": "sale_price_asc"}, "sort", ("SALE_PRICE_ASC",), None) == (
        "SALE_PRICE_ASC"
    )
    with pytest.raises(GatewayError):
        choice({"sort": "CHEAPEST"}, "sort", ("SALE_PRICE_ASC",), None)


def test_locale_parameters_default_to_usd_english_and_no_country() -> None:
    assert (target_currency({}), target_language({}), country_code({}, "country")) == (
        "USD",
        "EN",
        None,
    )
    assert (target_currency({"target_currency": "eur"}), country_code({"c": "de"}, "c")) == (
        "EUR",
        "DE",
    )
    with pytest.raises(GatewayError):
        country_code({"c": "DEU"}, "c")


def test_lists_are_comma_separated_and_fields_optional() -> None:
    assert comma_list({"ids": " 1, ,2 ,"}, "ids") == ["1", "2"]
    assert requested_fields({}) is None
    assert requested_fields({"fields": "a,b"}) == frozenset({"a", "b"})
