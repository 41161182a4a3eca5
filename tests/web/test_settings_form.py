"""The settings page as data: fields grouped for the page, the App Secret write-only."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from flask.testing import FlaskClient

from affsite.settings import Settings, SettingsState, SettingsStore
from affsite.web.settings_form import CLEAR_SECRET, FieldView, GroupView, build, changes_from_form

from .helpers import ADMIN_PASSWORD, CANARY_SECRET

CREDENTIALS = {"app_key": "500000", "app_secret": CANARY_SECRET, "tracking_id": "site_1"}


def state(env_fields: dict[str, str] | None = None, **values: Any) -> SettingsState:
    settings = Settings(**values)
    return SettingsState(settings=settings, stored=settings, env_fields=env_fields or {})


def field_view(views: list[GroupView], name: str) -> FieldView:
    return next(f for group in views for f in group.fields if f.field.name == name)


# --- build -----------------------------------------------------------------------------------


def test_the_secret_is_never_a_value_only_a_mask() -> None:
    views = build(state(app_secret=CANARY_SECRET), submitted={"app_secret": CANARY_SECRET})
    secret = field_view(views, "app_secret")
    assert secret.value == ""
    assert secret.masked == "••••••••" + CANARY_SECRET[-4:]


def test_what_was_typed_is_kept_after_a_failed_save() -> None:
    views = build(
        state(tracking_id="stored_id"),
        submitted={"tracking_id": "typed id"},
        errors={"tracking_id": "no spaces"},
    )
    tracking = field_view(views, "tracking_id")
    assert tracking.value == "typed id"
    assert tracking.error == "no spaces"
    assert tracking.input_id == "f-tracking_id"


def test_a_field_set_by_the_environment_shows_what_is_in_force() -> None:
    views = build(
        state({"tracking_id": "AFFSITE_TRACKING_ID"}, tracking_id="from_env"),
        submitted={"tracking_id": "typed"},
    )
    tracking = field_view(views, "tracking_id")
    assert tracking.value == "from_env"
    assert tracking.env_var == "AFFSITE_TRACKING_ID"


# --- changes_from_form -----------------------------------------------------------------------


def test_a_blank_secret_is_no_change_and_the_remove_box_clears_it() -> None:
    current = state(app_secret=CANARY_SECRET)
    assert "app_secret" not in changes_from_form({"app_secret": "  "}, current)
    assert changes_from_form({"app_secret": "new-secret"}, current)["app_secret"] == "new-secret"
    cleared = changes_from_form({"app_secret": "typed", CLEAR_SECRET: "1"}, current)
    assert cleared["app_secret"] == ""


def test_fields_missing_from_the_post_or_set_by_the_environment_are_left_alone() -> None:
    current = state({"country": "AFFSITE_COUNTRY"})
    changes = changes_from_form({"country": "DE", "tracking_id": "t_1"}, current)
    assert changes == {"tracking_id": "t_1"}


# --- through the settings page ---------------------------------------------------------------


def test_the_page_shows_only_the_last_four_characters(admin: FlaskClient) -> None:
    admin.post("/admin/settings", data=CREDENTIALS)
    page = admin.get("/admin/settings").get_data(as_text=True)
    mask = re.search(r'data-testid="secret-mask">([^<]+)<', page)
    assert mask is not None
    assert mask.group(1) == "••••••••" + CANARY_SECRET[-4:]
    assert 'name="app_secret" type="password" value=""' in page


def test_a_blank_secret_field_keeps_the_stored_secret(admin: FlaskClient, instance: Path) -> None:
    admin.post("/admin/settings", data=CREDENTIALS)
    admin.post("/admin/settings", data={"app_secret": "", "tracking_id": "site_2"})
    settings = SettingsStore(instance).load()
    assert settings.app_secret == CANARY_SECRET
    assert settings.tracking_id == "site_2"


def test_the_remove_box_clears_the_secret_and_returns_to_demo_mode(
    admin: FlaskClient, instance: Path
) -> None:
    admin.post("/admin/settings", data=CREDENTIALS)
    admin.post("/admin/settings", data={"app_secret": "", "clear_app_secret": "1"})
    assert SettingsStore(instance).load().app_secret == ""
    assert "Demo mode:" in admin.get("/admin/settings").get_data(as_text=True)


def test_a_secret_from_the_environment_is_masked_and_cannot_be_revealed(
    admin: FlaskClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AFFSITE_APP_SECRET", CANARY_SECRET)
    page = admin.get("/admin/settings").get_data(as_text=True)
    assert CANARY_SECRET not in page
    assert CANARY_SECRET[-4:] in page
    assert "AFFSITE_APP_SECRET" in page
    assert (
        admin.post("/admin/settings/reveal", data={"password": ADMIN_PASSWORD}).status_code == 404
    )
