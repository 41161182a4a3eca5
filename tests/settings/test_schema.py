"""The schema describes every setting once, with defaults that themselves validate; the
gateway's fixed facts come from ``affsite.aliexpress``."""

from __future__ import annotations

from affsite.aliexpress import DEFAULT_API_URL, MAX_BATCH_SIZE, SIGN_METHODS
from affsite.settings import DEFAULTS, FIELDS, GROUPS, SCHEMA, Settings, validate


def test_schema_describes_every_setting_with_a_default_from_the_dataclass() -> None:
    assert [f.name for f in SCHEMA] == list(FIELDS)
    assert set(FIELDS) == set(Settings.__dataclass_fields__)
    for f in SCHEMA:
        assert f.label and f.help, f.name
        assert f.default == getattr(DEFAULTS, f.name)
        # Defaults themselves pass validation.
        assert validate({f.name: f.default}) == DEFAULTS


def test_defaults_match_what_a_site_owner_expects() -> None:
    assert DEFAULTS.cache_ttl == 86_400
    assert DEFAULTS.rate_limit == 1.0
    assert DEFAULTS.daily_quota == 5_000
    assert DEFAULTS.batch_size == 20
    assert DEFAULTS.api_url == "https://api-sg.aliexpress.com/sync"
    assert DEFAULTS.sign_method == "sha256"
    assert DEFAULTS.demo_mode


def test_gateway_facts_come_from_the_client_package() -> None:
    assert DEFAULTS.api_url == DEFAULT_API_URL
    assert FIELDS["batch_size"].maximum == MAX_BATCH_SIZE
    assert FIELDS["sign_method"].choice_values() == SIGN_METHODS


def test_every_field_belongs_to_a_group_the_form_shows() -> None:
    groups = {group.key for group in GROUPS}
    assert all(f.group in groups for f in SCHEMA)


def test_country_choices_are_the_iso_3166_alpha_2_list() -> None:
    codes = FIELDS["country"].choice_values()
    assert len(codes) == 249
    assert {"US", "DE", "FR", "GB", "BR", "JP", "AX", "SS"} <= set(codes)
    assert "UK" not in codes
