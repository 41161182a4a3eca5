"""The static ISO 3166-1 alpha-2 list behind the ship-to country setting."""

from __future__ import annotations

import pytest

from affsite.settings.countries import COMMON_MISTAKES, COUNTRIES


def test_every_code_is_two_upper_case_letters_with_a_name() -> None:
    assert len(COUNTRIES) == 249
    assert all(len(code) == 2 and code.isascii() and code.isupper() for code in COUNTRIES)
    assert all(name.strip() for name in COUNTRIES.values())


def test_common_mistakes_point_at_real_codes_and_are_not_codes_themselves() -> None:
    assert all(meant in COUNTRIES for meant in COMMON_MISTAKES.values())
    assert not set(COMMON_MISTAKES) & set(COUNTRIES)


def test_the_list_cannot_be_changed_at_run_time() -> None:
    with pytest.raises(TypeError):
        COUNTRIES["XX"] = "Nowhere"  # type: ignore[index]
