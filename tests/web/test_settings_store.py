"""The settings file: atomic, private, read per request, overridden by the environment."""

from __future__ import annotations

import json
import os
import stat
from pathlib import Path

import pytest
from flask.testing import FlaskClient

from affsite.errors import SettingsError
from affsite.settings import SettingsStorageError, SettingsStore

from .conftest import MakeApp
from .helpers import (
    ADMIN_PASSWORD,
    CANARY_SECRET,
    field_errors,
    log_in,
    password_store,
    settings_bytes,
)


@pytest.fixture
def store(instance: Path) -> SettingsStore:
    return SettingsStore(instance)


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def leftovers(instance: Path) -> list[str]:
    return sorted(p.name for p in instance.iterdir() if p.name.endswith(".tmp"))


def test_save_then_load_round_trips(store: SettingsStore) -> None:
    saved = store.save({"tracking_id": "blog_1", "country": "de", "batch_size": "30"})
    assert (saved.tracking_id, saved.country, saved.batch_size) == ("blog_1", "DE", 30)
    assert SettingsStore(store.instance_path).load() == saved


def test_settings_file_is_private_and_its_folder_too(store: SettingsStore) -> None:
    store.save({"app_key": "500000", "app_secret": CANARY_SECRET})
    assert mode(store.path) == 0o600
    assert mode(store.instance_path) == 0o700
    assert json.loads(store.path.read_text())["app_secret"] == CANARY_SECRET


def test_an_existing_readable_instance_folder_is_made_private(
    instance: Path, make_app: MakeApp
) -> None:
    instance.mkdir(mode=0o755)
    os.chmod(instance, 0o755)  # noqa: S103 (the insecure state under test)
    make_app()
    assert mode(instance) == 0o700


def test_invalid_save_raises_per_field_errors_and_leaves_the_file_alone(
    store: SettingsStore,
) -> None:
    store.save({"country": "FR"})
    before = store.path.read_bytes()
    with pytest.raises(SettingsError) as caught:
        store.save({"country": "USA", "tracking_id": "fine_id", "batch_size": "0"})
    assert set(caught.value.errors) == {"country", "batch_size"}
    assert store.path.read_bytes() == before
    assert store.load().tracking_id == ""


@pytest.mark.parametrize("failing", ["replace", "fsync"])
def test_a_failed_write_keeps_the_old_file_and_leaves_no_temp_file(
    store: SettingsStore, monkeypatch: pytest.MonkeyPatch, failing: str
) -> None:
    store.save({"tracking_id": "old_id"})
    before = store.path.read_bytes()

    def broken(*args: object, **kwargs: object) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, failing, broken)
    with pytest.raises(SettingsStorageError) as caught:
        store.save({"tracking_id": "new_id"})
    monkeypatch.undo()

    assert "No space left on device" in str(caught.value)
    assert caught.value.fix
    assert store.path.read_bytes() == before
    assert leftovers(store.instance_path) == []
    assert store.load().tracking_id == "old_id"


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


def test_a_save_by_another_process_is_seen_on_the_next_load(store: SettingsStore) -> None:
    assert store.load().country == "US"
    other = SettingsStore(store.instance_path)  # stands for another worker process
    other.save({"country": "BR"})
    assert store.load().country == "BR"
    other.save({"country": "JP"})
    assert store.load().country == "JP"


def test_loads_are_cached_until_the_file_changes(
    store: SettingsStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    store.save({"country": "DE"})
    store.load()
    reads: list[Path] = []
    original = Path.read_bytes

    def counting(self: Path) -> bytes:
        reads.append(self)
        return original(self)

    monkeypatch.setattr(Path, "read_bytes", counting)
    for _ in range(5):
        assert store.load().country == "DE"
    assert reads == []


def test_environment_wins_over_the_file_and_is_reported(
    store: SettingsStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    store.save({"country": "FR", "tracking_id": "stored_id", "batch_size": "10"})
    monkeypatch.setenv("AFFSITE_COUNTRY", "de")
    monkeypatch.setenv("AFFSITE_BATCH_SIZE", "40")
    monkeypatch.setenv("AFFSITE_TRACKING_ID", "")  # blank variables count as unset
    state = store.state()
    assert (state.settings.country, state.settings.batch_size) == ("DE", 40)
    assert state.settings.tracking_id == "stored_id"
    assert dict(state.env_fields) == {
        "country": "AFFSITE_COUNTRY",
        "batch_size": "AFFSITE_BATCH_SIZE",
    }
    assert state.stored.country == "FR"
    assert state.problems == ()


@pytest.mark.parametrize(
    ("var", "name", "value"),
    [
        ("AFFSITE_APP_KEY", "app_key", "500000"),
        ("AFFSITE_APP_SECRET", "app_secret", CANARY_SECRET),
        ("AFFSITE_TRACKING_ID", "tracking_id", "env_id"),
        ("AFFSITE_COUNTRY", "country", "NL"),
        ("AFFSITE_CURRENCY", "currency", "EUR"),
        ("AFFSITE_LANGUAGE", "language", "NL"),
        ("AFFSITE_API_URL", "api_url", "http://127.0.0.1:8765/sync"),
        ("AFFSITE_SIGN_METHOD", "sign_method", "md5"),
        ("AFFSITE_CACHE_TTL", "cache_ttl", 3600),
        ("AFFSITE_RATE_LIMIT", "rate_limit", 2.5),
        ("AFFSITE_DAILY_QUOTA", "daily_quota", 1000),
        ("AFFSITE_BATCH_SIZE", "batch_size", 50),
    ],
)
def test_every_documented_environment_variable_overrides_its_setting(
    store: SettingsStore, monkeypatch: pytest.MonkeyPatch, var: str, name: str, value: object
) -> None:
    monkeypatch.setenv(var, str(value))
    state = store.state()
    assert getattr(state.settings, name) == value
    assert state.env_fields[name] == var


def test_an_invalid_environment_value_falls_back_and_is_reported(
    make_app: MakeApp, store: SettingsStore, monkeypatch: pytest.MonkeyPatch
) -> None:
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


def test_an_invalid_secret_in_the_environment_is_reported_without_its_value(
    store: SettingsStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AFFSITE_APP_SECRET", CANARY_SECRET + " x")
    (problem,) = store.state().problems
    assert problem.field == "app_secret"
    assert problem.message.startswith("AFFSITE_APP_SECRET: App Secret:")
    assert CANARY_SECRET not in problem.message


def test_an_unreadable_file_means_defaults_and_a_problem_not_a_crash(
    store: SettingsStore, make_app: MakeApp, instance: Path
) -> None:
    instance.mkdir(mode=0o700)
    store.path.write_text("{not json")
    state = store.state()
    assert state.settings == SettingsStore(instance).state().stored
    assert [p.field for p in state.problems] == ["settings.json"]
    client = make_app().test_client()
    assert "settings.json" in client.get("/healthz").get_json()["settings_problems"]
    store.save({"country": "DE"})  # saving writes a good file again
    assert store.state().problems == ()


def test_a_hand_edited_invalid_value_is_ignored_and_reported(store: SettingsStore) -> None:
    store.save({"country": "DE", "batch_size": "25"})
    data = json.loads(store.path.read_text())
    data["batch_size"] = 500
    data["unknown_from_the_future"] = True
    store.path.write_text(json.dumps(data))
    state = store.state()
    assert state.settings.batch_size == 20
    assert state.settings.country == "DE"
    assert [p.field for p in state.problems] == ["batch_size"]


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
