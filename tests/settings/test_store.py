"""The settings file: atomic, private, read per request, overridden by the environment, and
never left behind in pieces holding the secret."""

from __future__ import annotations

import json
import os
import signal
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from affsite.errors import SettingsError
from affsite.settings import SettingsStorageError, SettingsStore

from .conftest import CANARY_SECRET


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


def test_a_load_reads_neither_the_file_nor_the_environment_when_nothing_changed(
    store: SettingsStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    # What every request does, twice: it must cost one stat, not 16 variable look-ups.
    monkeypatch.setenv("AFFSITE_COUNTRY", "DE")
    store.save({"tracking_id": "blog_1"})
    store.load()
    reads: list[str] = []
    original = type(os.environ).__getitem__

    def counting(self: object, name: str) -> str:
        reads.append(name)
        return original(self, name)  # type: ignore[arg-type]

    monkeypatch.setattr(type(os.environ), "__getitem__", counting)
    for _ in range(5):
        assert (store.load().country, store.load().tracking_id) == ("DE", "blog_1")
    assert reads == []


def test_a_variable_this_process_sets_or_removes_is_seen_on_the_next_load(
    store: SettingsStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    store.save({"country": "FR"})
    assert store.load().country == "FR"
    monkeypatch.setenv("AFFSITE_COUNTRY", "DE")
    assert store.load().country == "DE"
    assert store.load().country == "DE"
    monkeypatch.delenv("AFFSITE_COUNTRY")
    assert store.load().country == "FR"


def test_a_given_environment_is_read_when_the_store_opens(instance: Path) -> None:
    environ = {"AFFSITE_COUNTRY": "de"}
    store = SettingsStore(instance, environ=environ)
    environ["AFFSITE_COUNTRY"] = "nl"  # a mapping handed in is the environment it opened with
    assert store.state().settings.country == "DE"
    assert dict(store.state().env_fields) == {"country": "AFFSITE_COUNTRY"}


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


def test_an_invalid_secret_in_the_environment_is_reported_without_its_value(
    store: SettingsStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AFFSITE_APP_SECRET", CANARY_SECRET + " x")
    (problem,) = store.state().problems
    assert problem.field == "app_secret"
    assert problem.message.startswith("AFFSITE_APP_SECRET: App Secret:")
    assert CANARY_SECRET not in problem.message


def test_an_unreadable_file_means_defaults_and_a_problem_not_a_crash(
    store: SettingsStore, instance: Path
) -> None:
    instance.mkdir(mode=0o700)
    store.path.write_text("{not json")
    state = store.state()
    assert state.settings == SettingsStore(instance).state().stored
    assert [p.field for p in state.problems] == ["settings.json"]
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


def _kill_a_save_before_its_rename(instance: Path, secret: str) -> None:
    """Run a save in another process and SIGKILL it between writing and renaming."""
    script = (
        "import os, signal, sys\n"
        "from affsite.settings import SettingsStore\n"
        "store = SettingsStore(sys.argv[1])\n"
        "os.replace = lambda *a, **k: os.kill(os.getpid(), signal.SIGKILL)\n"
        "store.save({'app_secret': sys.argv[2]})\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script, str(instance), secret], timeout=60, check=False
    )
    assert done.returncode == -signal.SIGKILL


def test_a_killed_save_leaves_no_secret_behind_once_the_store_opens(instance: Path) -> None:
    """Issue 8, row 10: a worker killed during a save left ``.settings.json.*.tmp`` holding
    the App Secret, forever."""
    SettingsStore(instance).save({"tracking_id": "first"})
    _kill_a_save_before_its_rename(instance, CANARY_SECRET)
    (left,) = leftovers(instance)
    assert CANARY_SECRET.encode() in (instance / left).read_bytes()  # the hazard is real

    store = SettingsStore(instance)
    assert leftovers(instance) == []
    assert store.load().tracking_id == "first"  # the interrupted save changed nothing
    assert CANARY_SECRET not in store.path.read_text()


def test_a_save_removes_leftovers_that_appeared_after_opening(
    store: SettingsStore, instance: Path
) -> None:
    store.save({"tracking_id": "first"})
    _kill_a_save_before_its_rename(instance, CANARY_SECRET)
    assert len(leftovers(instance)) == 1
    store.save({"tracking_id": "second"})
    assert leftovers(instance) == []


def test_only_our_own_temporary_files_are_removed(store: SettingsStore, instance: Path) -> None:
    store.save({"tracking_id": "first"})
    others = [".secret_key.0123456789ab.tmp", "settings.json.0123.tmp", ".settings.json.tmp",
              "notes.tmp", ".settings.json.abc.tmp.bak"]  # fmt: skip
    for name in others:
        (instance / name).write_text("keep me")
    (instance / ".settings.json.0123456789ab.tmp").write_text("stale")
    SettingsStore(instance)
    assert sorted(p.name for p in instance.iterdir() if "keep" in p.read_text()) == sorted(others)
    assert not (instance / ".settings.json.0123456789ab.tmp").exists()


def test_a_save_in_flight_keeps_its_temporary_file(store: SettingsStore, instance: Path) -> None:
    """Opening a store while another process is saving must not pull the file from under
    that save: leftovers are only removed while holding the save lock."""
    store.save({"tracking_id": "first"})
    temp = instance / ".settings.json.0123456789ab.tmp"
    temp.write_text("being written")
    with store._write_lock():  # another save in progress
        SettingsStore(instance)
        assert temp.exists()
    SettingsStore(instance)
    assert not temp.exists()


def test_opening_a_store_on_a_missing_folder_creates_nothing(tmp_path: Path) -> None:
    SettingsStore(tmp_path / "nowhere")
    assert not (tmp_path / "nowhere").exists()
