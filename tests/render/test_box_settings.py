"""What the settings contribute to a box: disclosure, language (and its direction), where
demo pictures live, and the display settings."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest

from affsite.render.box_settings import BoxSettings, demo_media
from affsite.render.choices import BoxTemplate, Theme, Unavailable
from affsite.render.urls import SANDBOX_MEDIA_PATH
from affsite.settings import LANGUAGES, Settings

LIVE = Settings(app_key="500000", app_secret="s" * 32, tracking_id="t1")


def test_demo_mode_in_process_shows_the_sandbox_pictures_from_this_site() -> None:
    assert demo_media(Settings()) == SANDBOX_MEDIA_PATH


def test_demo_mode_against_a_sandbox_server_shows_its_pictures_from_its_origin() -> None:
    assert demo_media(Settings(api_url="http://127.0.0.1:8765/sync")) == "http://127.0.0.1:8765"


def test_a_gateway_url_that_is_not_an_origin_shows_no_demo_pictures() -> None:
    odd = Settings(api_url="http://127.0.0.1:8765; img-src *")
    assert demo_media(odd) is None


def test_live_sites_show_only_aliexpress_pictures() -> None:
    assert demo_media(LIVE) is None
    assert demo_media(replace(LIVE, api_url="http://127.0.0.1:8765/sync")) is None


def test_only_what_a_box_shows_is_part_of_the_key() -> None:
    base = BoxSettings.of(LIVE)
    assert base == BoxSettings(language="EN", disclosure=LIVE.disclosure, demo_media=None)
    # Settings a box does not show keep the drawn boxes ...
    assert BoxSettings.of(replace(LIVE, daily_quota=10, cache_ttl=60)) == base
    # ... settings it shows do not.
    assert BoxSettings.of(replace(LIVE, disclosure="Ad.")) != base
    assert BoxSettings.of(replace(LIVE, language="DE")) != base
    assert hash(base) == hash(BoxSettings.of(LIVE))


def test_the_display_settings_are_part_of_the_key_as_allow_listed_values() -> None:
    base = BoxSettings.of(LIVE)
    assert (base.template, base.theme, base.unavailable, base.json_ld) == (
        BoxTemplate.BOX,
        Theme.LIGHT,
        Unavailable.MESSAGE,
        False,
    )
    changed: dict[str, Any] = {
        "box_template": "table",
        "box_theme": "auto",
        "button_text": "Check price",
        "unavailable_display": "hide",
        "json_ld": True,
    }
    for name, value in changed.items():
        assert BoxSettings.of(replace(LIVE, **{name: value})) != base, name
    with pytest.raises(ValueError):
        BoxSettings(language="EN", disclosure="", theme="neon")  # type: ignore[arg-type]


def test_hebrew_and_arabic_are_written_right_to_left() -> None:
    assert [BoxSettings.of(replace(LIVE, language=code)).direction for code in LANGUAGES] == [
        "rtl" if code in ("AR", "HE", "IW") else "ltr" for code in LANGUAGES
    ]


def test_a_blank_button_text_is_the_default() -> None:
    assert BoxSettings(language="EN", disclosure="", button_text=" \u202e ").button_text == (
        "View on AliExpress"
    )
