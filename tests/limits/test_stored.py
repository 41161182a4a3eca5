"""Limiter state read back from the store: damaged values fall back to defaults."""

from __future__ import annotations

import math

import pytest

from affsite.limits.stored import json_dict, number


@pytest.mark.parametrize(
    ("value", "expected"),
    [(3, 3.0), (2.5, 2.5), (True, 7.0), ("3", 7.0), (None, 7.0), (math.inf, 7.0), (math.nan, 7.0)],
)
def test_number_takes_only_finite_numbers(value: object, expected: float) -> None:
    assert number(value, 7.0) == expected


def test_json_dict_takes_only_objects() -> None:
    assert json_dict({"a": 1}) == {"a": 1}
    assert json_dict([1]) is None and json_dict("x") is None
