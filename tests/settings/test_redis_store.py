"""The settings in Redis: the same validation and overrides as the file, a save on one machine
in force on the others within a second, saves that never lose each other's changes, and the
settings in force kept while Redis is away."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import Any, Protocol

import pytest
import redis

from affsite.errors import SettingsError
from affsite.settings import values
from affsite.settings.redis_store import RedisSettingsStore, SettingsRedisError, connect
from affsite.settings.schema import Settings

from .conftest import CANARY_SECRET


class Server(Protocol):
    def start(self) -> None: ...
    def stop(self) -> None: ...


class FakeMonotonic:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


MakeStore = Callable[..., RedisSettingsStore]


@pytest.fixture
def monotonic() -> FakeMonotonic:
    return FakeMonotonic()


@pytest.fixture
def make_store(
    tmp_path: Path, redis_url: str, redis_prefix: str, monotonic: FakeMonotonic
) -> Iterator[MakeStore]:
    """A settings store per "machine" (its own instance folder and connection)."""
    clients: list[redis.Redis] = []

    def make(name: str = "a", environ: Mapping[str, str] | None = None) -> RedisSettingsStore:
        client = connect(redis_url)
        clients.append(client)
        return RedisSettingsStore(
            tmp_path / name,
            client=client,
            prefix=redis_prefix,
            environ=environ or {},
            clock=monotonic,
        )

    yield make
    for client in clients:
        client.close()


@pytest.fixture
def raw(redis_url: str) -> Iterator[redis.Redis]:
    client = redis.Redis.from_url(redis_url)
    yield client
    client.close()


def test_a_save_on_one_machine_is_in_force_on_the_other_within_a_second(
    make_store: MakeStore, monotonic: FakeMonotonic
) -> None:
    one, other = make_store("one"), make_store("two")
    assert other.load().tracking_id == one.load().tracking_id == ""
    saved = one.save({"tracking_id": "blog_1", "country": "de"})
    assert (saved.tracking_id, saved.country) == ("blog_1", "DE")
    assert one.load() == saved  # at once where it was saved
    monotonic.now += 0.5
    assert other.load().tracking_id == ""  # read less than a second ago
    monotonic.now += 0.5
    assert other.load() == saved
    assert other.load() is other.load()  # the same object until the settings change


def test_stored_as_json_with_a_version_never_pickle(
    make_store: MakeStore, raw: redis.Redis, redis_prefix: str
) -> None:
    store = make_store()
    store.save({"app_key": "500000", "app_secret": CANARY_SECRET})
    store.save({"tracking_id": "t1"})
    document = json.loads(raw.get(f"{redis_prefix}:settings") or b"")
    assert document["version"] == 2
    assert document["values"]["app_secret"] == CANARY_SECRET
    assert document["values"]["tracking_id"] == "t1"
    copy = store.instance_path / "settings.json"  # this machine's copy, owner-only
    assert json.loads(copy.read_text()) == document["values"]
    assert copy.stat().st_mode & 0o777 == 0o600


def test_a_redis_that_lost_its_data_gets_the_settings_back_from_a_machines_copy(
    make_store: MakeStore, raw: redis.Redis, redis_prefix: str, monotonic: FakeMonotonic
) -> None:
    one, other = make_store("one"), make_store("two")
    one.save({"tracking_id": "blog_1"})
    monotonic.now += 1
    assert other.load().tracking_id == "blog_1"
    raw.delete(f"{redis_prefix}:settings")  # restarted without persistence, or flushed
    monotonic.now += 1
    assert other.load().tracking_id == "blog_1"
    assert json.loads(raw.get(f"{redis_prefix}:settings") or b"")["values"]["tracking_id"] == (
        "blog_1"
    )


def test_invalid_values_change_nothing_and_say_what_to_fix(
    make_store: MakeStore, raw: redis.Redis, redis_prefix: str
) -> None:
    store = make_store()
    store.save({"tracking_id": "kept"})
    before = raw.get(f"{redis_prefix}:settings")
    with pytest.raises(SettingsError) as refused:
        store.save({"tracking_id": "changed", "batch_size": "500"})
    assert "batch_size" in refused.value.errors
    assert raw.get(f"{redis_prefix}:settings") == before
    assert store.load().tracking_id == "kept"


def test_two_saves_racing_keep_both_changes(
    make_store: MakeStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    one, other = make_store("one"), make_store("two")
    real_validate = values.validate
    raced = False

    def validate_while_the_other_saves(changes: Mapping[str, object], before: Settings) -> Any:
        nonlocal raced
        if not raced:
            raced = True  # the other machine saves between this read and this write
            other.save({"country": "fr"})
        return real_validate(changes, before)

    monkeypatch.setattr("affsite.settings.redis_store.validate", validate_while_the_other_saves)
    saved = one.save({"tracking_id": "blog_1"})
    assert (saved.tracking_id, saved.country) == ("blog_1", "FR")


def test_environment_overrides_still_win(make_store: MakeStore) -> None:
    store = make_store(environ={"AFFSITE_TRACKING_ID": "from_env"})
    store.save({"tracking_id": "stored"})
    state = store.state()
    assert state.settings.tracking_id == "from_env"
    assert state.stored.tracking_id == "stored"


def test_an_empty_redis_takes_the_settings_file_of_the_first_machine_once(
    make_store: MakeStore, tmp_path: Path
) -> None:
    (tmp_path / "moved").mkdir()
    (tmp_path / "moved" / "settings.json").write_text('{"tracking_id": "from_file"}')
    (tmp_path / "fresh").mkdir()
    (tmp_path / "fresh" / "settings.json").write_text('{"tracking_id": "second_file"}')
    assert make_store("moved").load().tracking_id == "from_file"
    assert make_store("fresh").load().tracking_id == "from_file"  # Redis has them now


def test_unreadable_settings_in_redis_are_reported_and_defaults_used(
    make_store: MakeStore, raw: redis.Redis, redis_prefix: str
) -> None:
    raw.set(f"{redis_prefix}:settings", b"\x80not json")
    state = make_store().state()
    assert state.settings.tracking_id == ""
    assert any("unreadable" in problem.message for problem in state.problems)


def test_while_redis_is_down_the_settings_in_force_stay_and_saving_says_why(
    redis_server: Server, make_store: MakeStore, monotonic: FakeMonotonic
) -> None:
    store = make_store()
    saved = store.save({"tracking_id": "blog_1"})
    redis_server.stop()
    try:
        monotonic.now += 5
        assert store.load() == saved
        with pytest.raises(SettingsRedisError) as refused:
            store.save({"tracking_id": "blog_2"})
        assert "Redis" in str(refused.value) and "AFFSITE_REDIS_URL" in (refused.value.fix or "")
        never_read = make_store("late")
        state = never_read.state()
        assert state.settings.tracking_id == ""  # this machine has no copy yet
        assert any("Redis cannot be reached" in p.message for p in state.problems)
        assert make_store("a").state().settings.tracking_id == "blog_1"  # this one has
    finally:
        redis_server.start()
    # Redis came back empty (no persistence in tests): a save works again.
    monotonic.now += 5
    assert store.save({"tracking_id": "blog_3"}).tracking_id == "blog_3"
