"""The settings page and the app around the settings store: a save reaches every app on the
instance folder, a failed write changes nothing, invalid environment values are reported."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest
from flask.testing import FlaskClient

from affsite.settings import SettingsStore

from .conftest import MakeApp
from .helpers import ADMIN_PASSWORD, field_errors, log_in, password_store, settings_bytes


def leftovers(instance: Path) -> list[str]:
    return sorted(p.name for p in instance.iterdir() if p.name.endswith(".tmp"))


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_settings_stay_private_in_an_existing_readable_instance_folder(
    instance: Path, make_app: MakeApp
) -> None:
    # The folder's own mode is the operator's (affsite.files leaves folders it did not
    # create alone); what affsite writes into it is private all the same.
    instance.mkdir(mode=0o755)
    os.chmod(instance, 0o755)  # noqa: S103 (the state under test)
    app = make_app()
    password_store(app).set(ADMIN_PASSWORD)
    client = app.test_client()
    log_in(client)
    client.post("/admin/settings", data={"tracking_id": "kept_id"})
    assert mode(instance / "settings.json") == 0o600


def test_a_failed_write_is_reported_on_the_page_and_nothing_changes(
    make_app: MakeApp, instance: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    app = make_app()
    password_store(app).set(ADMIN_PASSWORD)
    client = app.test_client()
    log_in(client)
    client.post("/admin/settings", data={"tracking_id": "old_id"})
    before = settings_bytes(instance)

    def broken(*args: object, **kwargs: object) -> None:
        raise OSError(13, "Permission denied")

    monkeypatch.setattr(os, "replace", broken)
    response = client.post("/admin/settings", data={"tracking_id": "new_id"})
    monkeypatch.undo()
    page = response.get_data(as_text=True)
    assert response.status_code == 500
    assert "Nothing was saved" in page and "Permission denied" in page
    assert settings_bytes(instance) == before
    assert leftovers(instance) == []


def test_an_invalid_environment_value_falls_back_and_is_reported(
    make_app: MakeApp, instance: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = SettingsStore(instance)
    store.save({"country": "FR"})
    monkeypatch.setenv("AFFSITE_COUNTRY", "USA")
    monkeypatch.setenv("AFFSITE_BATCH_SIZE", "500")
    app = make_app()  # must not crash
    password_store(app).set(ADMIN_PASSWORD)
    client = app.test_client()

    health = client.get("/healthz").get_json()
    assert health["settings_problems"] == [
        "app_key",
        "app_secret",
        "tracking_id",
        "country",
        "batch_size",
    ]
    assert health["settings_complete"] is False

    log_in(client)
    page = client.get("/admin/").get_data(as_text=True)
    assert "Some settings need attention" in page
    assert "AFFSITE_COUNTRY: Country: &#39;USA&#39; is not a two-letter ISO 3166 code" in page
    assert "The stored value (&#39;FR&#39;) is used instead." in page
    assert store.load().country == "FR"
    assert store.load().batch_size == 20


def test_an_unreadable_settings_file_is_reported_by_healthz(
    make_app: MakeApp, instance: Path
) -> None:
    instance.mkdir(mode=0o700)
    (instance / "settings.json").write_text("{not json")
    client = make_app().test_client()
    assert "settings.json" in client.get("/healthz").get_json()["settings_problems"]


def test_a_save_is_seen_by_a_second_app_on_the_same_instance_folder(
    make_app: MakeApp,
) -> None:
    first = make_app()
    password_store(first).set(ADMIN_PASSWORD)
    second = make_app()
    writer, reader = first.test_client(), second.test_client()
    log_in(writer)
    log_in(reader)
    assert 'value="FR" selected' not in reader.get("/admin/settings").get_data(as_text=True)

    response = writer.post("/admin/settings", data={"tracking_id": "shared_id", "country": "FR"})
    assert response.status_code == 303

    page = reader.get("/admin/settings").get_data(as_text=True)
    assert 'value="shared_id"' in page
    assert '<option value="FR" selected>' in page
    with second.app_context():
        from affsite.settings import get_settings

        assert get_settings().tracking_id == "shared_id"


def test_settings_page_save_keeps_typed_values_on_error(admin: FlaskClient, instance: Path) -> None:
    admin.post("/admin/settings", data={"tracking_id": "kept_id"})
    before = settings_bytes(instance)
    response = admin.post(
        "/admin/settings",
        data={"tracking_id": "typed_id", "country": "USA", "batch_size": "77"},
    )
    page = response.get_data(as_text=True)
    assert response.status_code == 400
    assert settings_bytes(instance) == before
    errors = field_errors(page)
    assert errors["country"].startswith("Country: 'USA' is not a two-letter ISO 3166 code")
    assert errors["batch_size"].startswith("Batch size: 77 IDs/request is out of range")
    assert 'value="typed_id"' in page  # what was typed stays in the form
    assert 'value="77"' in page
    assert "Nothing was saved" in page


def test_a_saved_setting_shows_in_the_embed_at_once(admin: FlaskClient) -> None:
    assert "As an AliExpress affiliate" in admin.get("/embed/iframe/1005004757833857").get_data(
        as_text=True
    )
    admin.post("/admin/settings", data={"disclosure": "We earn a commission on purchases."})
    page = admin.get("/embed/iframe/1005004757833857").get_data(as_text=True)
    assert "We earn a commission on purchases." in page
    assert "As an AliExpress affiliate" not in page
