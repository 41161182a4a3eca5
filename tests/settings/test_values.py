"""Every invalid value is refused with a message naming the field and how to fix it."""

from __future__ import annotations

import pytest

from affsite.errors import SettingsError
from affsite.settings import (
    CURRENCIES,
    DEFAULT_API_URL,
    FIELDS,
    LANGUAGES,
    form_text,
    mask_secret,
    number_text,
    parse_value,
    to_json,
    validate,
)

from .conftest import CANARY_SECRET


def message_for(name: str, raw: object) -> str:
    with pytest.raises(SettingsError) as caught:
        parse_value(name, raw)
    assert set(caught.value.errors) == {name}
    message = caught.value.errors[name]
    assert message.startswith(FIELDS[name].label + ":"), "the message names the field"
    return message


def test_country_message_names_the_field_and_suggests_codes() -> None:
    assert message_for("country", "XYZ") == (
        "Country: 'XYZ' is not a two-letter ISO 3166 code; use e.g. US, DE, FR."
    )


@pytest.mark.parametrize(("typed", "meant"), [("USA", "US"), ("UK", "GB")])
def test_common_country_mistakes_point_at_the_right_code(typed: str, meant: str) -> None:
    message = message_for("country", typed)
    assert f"'{typed}' is not a two-letter ISO 3166 code" in message
    assert f"use {meant} " in message


@pytest.mark.parametrize(
    ("name", "raw", "expected"),
    [
        ("country", "de", "DE"),
        ("country", " fr ", "FR"),
        ("currency", "eur", "EUR"),
        ("language", "de", "DE"),
        ("sign_method", "MD5", "md5"),
        ("batch_size", "50", 50),
        ("batch_size", " 1 ", 1),
        ("cache_ttl", "86,400", 86_400),
        ("rate_limit", "0.5", 0.5),
        ("api_url", " http://127.0.0.1:8765/sync ", "http://127.0.0.1:8765/sync"),
        ("app_key", " 500000 ", "500000"),
        ("tracking_id", "my_site-1", "my_site-1"),
        ("disclosure", "  We earn\n  commissions. ", "We earn commissions."),
        (
            "allowed_embed_origins",
            "https://Blog.Example.com/\nhttp://localhost:8080, https://blog.example.com",
            ("https://blog.example.com", "http://localhost:8080"),
        ),
        ("allowed_embed_origins", "", ()),
    ],
)
def test_valid_values_are_normalised(name: str, raw: str, expected: object) -> None:
    assert parse_value(name, raw) == expected


@pytest.mark.parametrize("currency", CURRENCIES)
def test_every_aliexpress_currency_is_accepted(currency: str) -> None:
    assert parse_value("currency", currency) == currency


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_aliexpress_language_is_accepted(language: str) -> None:
    assert parse_value("language", language) == language


@pytest.mark.parametrize(
    ("name", "raw", "fragments"),
    [
        ("currency", "XYZ", ["'XYZ' is not a currency AliExpress accepts", "USD, GBP"]),
        ("language", "EO", ["'EO' is not a language AliExpress accepts", "EN, RU"]),
        ("sign_method", "sha1", ["'sha1'", "sha256, md5"]),
        ("batch_size", "0", ["out of range", "between 1 and 50"]),
        ("batch_size", "51", ["51 IDs/request is out of range", "between 1 and 50"]),
        ("batch_size", "ten", ["'ten' is not a whole number", "between 1 and 50"]),
        ("batch_size", "2.5", ["not a whole number"]),
        ("batch_size", "", ["is empty", "between 1 and 50"]),
        ("cache_ttl", "-5", ["out of range", "between 60 and 2592000 (30 days)"]),
        ("rate_limit", "nan", ["must be a number"]),
        ("rate_limit", "fast", ["'fast' is not a number"]),
        ("daily_quota", "0", ["out of range", "between 1 and"]),
        ("api_url", "ftp://example.com/sync", ["not an http(s) address", "use e.g. https://"]),
        ("api_url", "api-sg.aliexpress.com/sync", ["not an http(s) address"]),
        ("api_url", "https://user:pw@example.com/sync", ["must not contain a user name"]),
        ("app_key", "my-key", ["not an App Key", "digits only"]),
        ("tracking_id", "my site", ["not a tracking ID", "letters, digits"]),
        ("disclosure", "   ", ["must not be empty", "disclosure"]),
        ("allowed_embed_origins", "example.com", ["not a site address", "https://example.com"]),
        ("allowed_embed_origins", "https://example.com/blog", ["no path"]),
        ("allowed_embed_origins", "javascript:alert(1)", ["not a site address"]),
        ("app_key", "1" * 40, ["at most 32"]),
    ],
)
def test_invalid_values_get_a_message_with_the_fix(
    name: str, raw: str, fragments: list[str]
) -> None:
    message = message_for(name, raw)
    for fragment in fragments:
        assert fragment in message


def test_secret_messages_never_contain_the_secret() -> None:
    message = message_for("app_secret", CANARY_SECRET + " with spaces")
    assert CANARY_SECRET not in message
    assert "copy it again" in message


def test_validate_reports_every_invalid_field_at_once_and_applies_nothing() -> None:
    with pytest.raises(SettingsError) as caught:
        validate({"country": "USA", "batch_size": "99", "tracking_id": "ok_id"})
    assert set(caught.value.errors) == {"country", "batch_size"}


def test_admin_reserve_must_leave_quota_for_page_views() -> None:
    with pytest.raises(SettingsError) as caught:
        validate({"daily_quota": "100", "admin_reserve": "100"})
    message = caught.value.errors["admin_reserve"]
    assert message.startswith("Reserved for admin actions:")
    assert "use a number below 100" in message


def test_unknown_settings_are_refused() -> None:
    with pytest.raises(SettingsError) as caught:
        validate({"colour": "red"})
    assert "colour" in caught.value.errors


# -- issue 8, row 10: the Gateway URL can never add directives to a CSP header ----------------


@pytest.mark.parametrize(
    "raw",
    [
        "https://api-sg.aliexpress.com/sync; script-src 'unsafe-inline' *",
        "https://api-sg.aliexpress.com/sync script-src *",
        "https://api-sg.aliexpress.com/sync;frame-ancestors *",
        "https://evil.example/sync'",
        'https://evil.example/"sync',
        "https://evil.example,https://x.test/sync",
        "https://evil.example/sync?x=1",
        "https://evil.example/sy\tnc",
        "https://evil.example\\@api-sg.aliexpress.com/sync",
        "https://evil.example:99999/sync",
    ],
)
def test_the_gateway_url_is_only_an_origin_and_a_path(raw: str) -> None:
    message = message_for("api_url", raw)  # names the field ...
    assert f"use e.g. {DEFAULT_API_URL}" in message  # ... and the fix


def test_the_gateway_url_message_never_repeats_a_password() -> None:
    message = message_for("api_url", "https://admin:hunter2@example.com/sync")
    assert "hunter2" not in message
    assert "must not contain a user name or password" in message


@pytest.mark.parametrize(
    "raw",
    [DEFAULT_API_URL, "http://127.0.0.1:8765/sync", "https://gw.example.com:8443/a/b_c-d.e~f"],
)
def test_usable_gateway_urls_are_kept_as_typed(raw: str) -> None:
    assert parse_value("api_url", raw) == raw


def test_helpers_show_values_as_people_write_them() -> None:
    assert number_text(0.5) == "0.5" and number_text(86400.0) == "86400"
    assert form_text("allowed_embed_origins", ("https://a.test", "https://b.test")) == (
        "https://a.test\nhttps://b.test"
    )
    assert mask_secret("") == "" and mask_secret("short") == "••••••••"
    assert mask_secret("0123456789abcdef") == "••••••••cdef"
    assert to_json(validate({"featured_products": "1005004757833857"}))["featured_products"] == [
        "1005004757833857"
    ]
