"""Cache entries: lifetimes, keys, namespaces, and failure memos."""

from __future__ import annotations

import os
import random
import stat
from dataclasses import replace
from pathlib import Path

import pytest

from affsite.cache import MemoryStore, StoreError
from affsite.catalog import Failure, Reason
from affsite.catalog import entries as entries_module
from affsite.catalog.entries import (
    STORE_GRACE,
    Entries,
    Entry,
    Generation,
    entry_key,
    jitter_factor,
    memo_key,
    namespace,
)
from affsite.clock import FakeClock
from affsite.settings import Settings

SETTINGS = Settings(cache_ttl=1000, stale_ttl=500, negative_ttl=100)


def test_an_entry_is_fresh_then_stale_then_gone() -> None:
    entry = Entry.make({"id": "1"}, now=0.0, settings=SETTINGS, factor=1.0)
    assert (entry.fresh(999), entry.servable(999)) == (True, True)
    assert (entry.fresh(1000), entry.servable(1499)) == (False, True)
    assert entry.servable(1500) is False
    assert entry.store_expire(0.0) == 1500 + STORE_GRACE


def test_a_negative_entry_lives_the_negative_ttl() -> None:
    entry = Entry.make(None, now=0.0, settings=SETTINGS, factor=1.1)
    assert entry.negative
    assert entry.fresh_until == pytest.approx(110)
    assert entry.stale_until == pytest.approx(610)


def test_jitter_stays_within_ten_percent() -> None:
    rng = random.Random(1)
    factors = [jitter_factor(rng) for _ in range(1000)]
    assert 0.9 <= min(factors) < 0.95 and 1.05 < max(factors) <= 1.1


@pytest.mark.parametrize(
    "raw",
    [
        None,
        "text",
        {"v": 2, "data": None, "fetched_at": 0, "fresh_until": 1, "stale_until": 2},
        {"v": 1, "data": [], "fetched_at": 0, "fresh_until": 1, "stale_until": 2},
        {"v": 1, "data": None, "fetched_at": 0, "fresh_until": "1", "stale_until": 2},
        {"v": 1, "data": None, "fetched_at": 0, "fresh_until": float("inf"), "stale_until": 2},
        {"v": 1, "data": None, "fetched_at": True, "fresh_until": 1, "stale_until": 2},
    ],
)
def test_anything_that_is_not_an_entry_reads_as_none(raw: object) -> None:
    assert Entry.from_dict(raw) is None


def test_an_entry_survives_the_store_as_it_was() -> None:
    entry = Entry.make({"id": "1", "title": "Mug"}, now=5.0, settings=SETTINGS, factor=0.95)
    assert Entry.from_dict(entry.to_dict()) == entry


def test_every_setting_that_changes_the_answer_changes_the_namespace() -> None:
    base = namespace(SETTINGS)
    assert len(base) == 16 and base == namespace(replace(SETTINGS, cache_ttl=5))
    for changed in (
        replace(SETTINGS, country="DE"),
        replace(SETTINGS, currency="EUR"),
        replace(SETTINGS, language="FR"),
        replace(SETTINGS, tracking_id="other"),
        replace(SETTINGS, app_key="123456"),
        replace(SETTINGS, api_url="https://example.com/sync"),
    ):
        assert namespace(changed) != base, changed
    assert entry_key(base, "1").startswith(f"p1:{base}:")


def test_a_failure_is_remembered_until_its_end(clock: FakeClock) -> None:
    ctl = MemoryStore(clock=clock)
    entries = Entries(MemoryStore("data", clock=clock), ctl)
    failure = Failure(reason=Reason.BANNED, problem="paused", fix="wait")
    entries.remember("ns", "1", failure, until=clock() + 60, now=clock())
    assert entries.failure("ns", "1", clock() + 59) == failure
    assert entries.failure("ns", "1", clock() + 60) is None
    assert entries.failure("ns", "2", clock()) is None


@pytest.mark.parametrize(
    "memo",
    [{"reason": "a word from a newer version", "until": 1e12}, {"reason": "banned"}, []],
)
def test_a_memo_that_cannot_be_read_is_no_failure(clock: FakeClock, memo: object) -> None:
    ctl = MemoryStore(clock=clock)
    ctl.set(memo_key("ns", "1"), memo)
    assert Entries(MemoryStore("data", clock=clock), ctl).failure("ns", "1", clock()) is None


# --- the generation: what tells a process that what it remembers is still the store's -------


def test_every_write_and_clear_moves_the_generation_on_for_every_process(tmp_path: Path) -> None:
    path = tmp_path / "entries.generation"
    mine, theirs = Generation(path), Generation(path)  # two processes, one cache folder
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    entries = Entries(MemoryStore(), MemoryStore(), mine)
    seen = {theirs.current()}
    entry = Entry.make({"id": "1"}, now=0.0, settings=SETTINGS, factor=1.0)
    for _ in range(3):  # within one tick of the file system's clock, too
        entries.write("ns", "1", entry, now=0.0)
        seen.add(theirs.current())
    entries.clear()
    seen.add(theirs.current())
    assert None not in seen and len(seen) == 5


def test_a_generation_that_cannot_be_moved_on_is_removed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "entries.generation"
    generation = Generation(path)
    real_open = os.open

    def full_disk(name: str, flags: int, mode: int = 0o777) -> int:
        if str(name) == str(path) and flags & os.O_APPEND:
            raise OSError(28, "No space left on device")
        return real_open(name, flags, mode)

    monkeypatch.setattr(os, "open", full_disk)
    generation.bump()
    assert not path.exists()
    assert generation.current() is None  # nobody answers from memory now
    monkeypatch.undo()
    generation.bump()  # the next change brings it back
    assert generation.current() is not None


def test_the_generation_file_starts_afresh_when_it_grows_large(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(entries_module, "GENERATION_MAX_BYTES", 3)
    path = tmp_path / "entries.generation"
    generation = Generation(path)
    seen = [generation.current()]
    for _ in range(5):
        generation.bump()
        seen.append(generation.current())
    assert path.stat().st_size < 3
    assert None not in seen and len(set(seen)) == len(seen)


def test_without_a_cache_folder_there_is_no_generation() -> None:
    generation = Generation(None)
    generation.bump()
    assert generation.current() is None


def test_the_entries_of_one_call_are_written_together_or_one_by_one(
    tmp_path: Path, clock: FakeClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    data = MemoryStore(clock=clock)
    generation = Generation(tmp_path / "entries.generation")
    entries = Entries(data, MemoryStore(clock=clock), generation)
    made = {pid: Entry.make({"id": pid}, now=0.0, settings=SETTINGS, factor=1.0) for pid in "ab"}
    before = generation.current()
    entries.write_all("ns", made, 0.0)
    assert {pid: entries.read("ns", pid) for pid in "ab"} == made
    assert generation.current() != before

    def refused(operation: object) -> None:
        raise StoreError("busy")

    monkeypatch.setattr(data, "atomic", refused)
    again = {"c": made["a"]}
    entries.write_all("ns", again, 0.0)
    assert entries.read("ns", "c") == made["a"]
