"""The schema describes every setting once, with defaults that themselves validate; the
gateway's fixed facts come from ``affsite.aliexpress``."""

from __future__ import annotations

from affsite.aliexpress import DEFAULT_API_URL, MAX_BATCH_SIZE, SIGN_METHODS
from affsite.errors import SettingsError
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


def test_the_list_expiration_time_is_a_cache_setting_checked_with_a_clear_error() -> None:
    field = FIELDS["list_ttl"]
    assert (DEFAULTS.list_ttl, field.group, field.env) == (21_600, "limits", "AFFSITE_LIST_TTL")
    assert validate({"list_ttl": "3,600"}).list_ttl == 3600
    for bad, says in [
        ("30", "30 seconds is out of range; enter a whole number between 60 and 604800"),
        ("6h", "'6h' is not a whole number"),
        ("", "is empty"),
    ]:
        try:
            validate({"list_ttl": bad})
        except SettingsError as error:
            assert error.errors["list_ttl"].startswith("List expiration time: "), bad
            assert says in error.errors["list_ttl"], error.errors
        else:
            raise AssertionError(f"{bad!r} was accepted")


def test_the_schema_is_the_same_whichever_module_a_name_comes_from() -> None:
    from affsite.settings import schema_base, schema_limits

    assert schema_base.Settings is Settings and schema_base.DEFAULTS is DEFAULTS
    assert all(f in SCHEMA for f in schema_limits.LIMIT_FIELDS)
    assert {f.group for f in schema_limits.LIMIT_FIELDS} == {"limits"}
