"""What the settings contribute to a box: disclosure, language, where demo pictures live."""

from __future__ import annotations

from dataclasses import replace

from affsite.render.box_settings import BoxSettings, demo_media
from affsite.render.urls import SANDBOX_MEDIA_PATH
from affsite.settings import Settings

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
