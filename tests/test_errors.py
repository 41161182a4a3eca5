"""One error tree: every error says what to fix; settings errors name each field."""

from __future__ import annotations

import pytest

from affsite.errors import AffsiteError, ProductIdError, SettingsError


def test_every_error_carries_a_plain_language_fix() -> None:
    assert AffsiteError("boom").fix
    assert AffsiteError("boom", fix="Do this.").fix == "Do this."
    assert "product" in ProductIdError("not a product").fix


def test_a_settings_error_names_every_field_and_its_message() -> None:
    error = SettingsError({"country": "use a two-letter code", "currency": "use USD or EUR"})
    assert error.errors["country"] == "use a two-letter code"
    assert error.message == "country: use a two-letter code; currency: use USD or EUR"
    assert "fields named" in error.fix


def test_input_errors_are_also_value_errors_for_callers_that_expect_them() -> None:
    with pytest.raises(ValueError):
        raise ProductIdError("not a product")
