"""Warm answers: a fresh product this process read before is answered from memory, while no
process has written or cleared entries since; the clock still decides what is fresh.

Several catalogs on one cache folder stand for the worker processes of one site.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from affsite.aliexpress.sandbox import Sandbox
from affsite.catalog import Catalog, Purpose, Status
from affsite.clock import FakeClock

from .conftest import DETAIL, MakeCatalog
from .helpers import SettingsBox, statuses


def _count_store_reads(catalog: Catalog, monkeypatch: pytest.MonkeyPatch) -> list[str]:
    reads: list[str] = []
    original = catalog.stores.data.get

    def counting(key: str, default: object = None) -> object:
        reads.append(key)
        return original(key, default)

    monkeypatch.setattr(catalog.stores.data, "get", counting)
    return reads


def test_a_warm_answer_reads_nothing_from_the_cache_store(
    catalog: Catalog, monkeypatch: pytest.MonkeyPatch, promotable: list[str]
) -> None:
    ids = promotable[:3]
    catalog.products(ids, purpose=Purpose.PUBLIC)  # fetched (MISS)
    first = catalog.products(ids, purpose=Purpose.PUBLIC)  # read back from the store
    reads = _count_store_reads(catalog, monkeypatch)
    for _ in range(3):
        again = catalog.products(ids, purpose=Purpose.PUBLIC)
        assert statuses(again) == {Status.HIT}
        # The very same answers: layers above may keep what they drew from them.
        assert all(x is y for x, y in zip(again, first, strict=True))
    assert reads == []


def test_an_entry_another_worker_writes_is_answered_at_once(
    make_catalog: MakeCatalog, clock: FakeClock, promotable: list[str]
) -> None:
    pid = promotable[0]
    worker, other = make_catalog(), make_catalog()  # two processes on one cache folder
    worker.product(pid, purpose=Purpose.PAGE)
    before = worker.product(pid, purpose=Purpose.PAGE)
    assert before.status == Status.HIT
    clock.advance(600)  # still fresh for hours: only the other worker's write can change it
    other.refresh(budget=5, horizon=10 * 86_400)
    after = worker.product(pid, purpose=Purpose.PAGE)
    assert after.status == Status.HIT
    assert before.fetched_at is not None and after.fetched_at == before.fetched_at + 600


def test_clearing_the_cache_in_another_worker_is_seen_at_once(
    make_catalog: MakeCatalog, sandbox: Sandbox, promotable: list[str]
) -> None:
    pid = promotable[0]
    worker, other = make_catalog(), make_catalog()
    worker.product(pid, purpose=Purpose.PAGE)
    assert worker.product(pid, purpose=Purpose.PAGE).status == Status.HIT
    other.clear()
    assert worker.product(pid, purpose=Purpose.PAGE).status == Status.MISS
    assert sandbox.call_count(DETAIL) == 2


def test_a_remembered_answer_turns_stale_by_the_injected_clock(
    catalog: Catalog, clock: FakeClock, settings: SettingsBox, promotable: list[str]
) -> None:
    pid = promotable[0]
    catalog.product(pid, purpose=Purpose.PAGE)
    warm = catalog.product(pid, purpose=Purpose.PAGE)
    assert warm.status == Status.HIT and warm.fetched_at is not None
    ttl = settings.value.cache_ttl
    clock.now = warm.fetched_at + ttl * 0.89  # jitter is at most 10 %: fresh either way
    assert catalog.product(pid, purpose=Purpose.PAGE).status == Status.HIT
    clock.now = warm.fetched_at + ttl * 1.11 + 1  # past the freshness limit
    stale = catalog.product(pid, purpose=Purpose.PAGE)
    assert stale.status == Status.STALE and stale.product == warm.product


def test_without_the_generation_file_answers_are_read_from_the_store(
    catalog: Catalog, cache_dir: Path, monkeypatch: pytest.MonkeyPatch, promotable: list[str]
) -> None:
    pid = promotable[0]
    catalog.product(pid, purpose=Purpose.PAGE)
    catalog.product(pid, purpose=Purpose.PAGE)
    (cache_dir / "entries.generation").unlink()  # e.g. someone emptied the cache folder
    reads = _count_store_reads(catalog, monkeypatch)
    assert catalog.product(pid, purpose=Purpose.PAGE).status == Status.HIT
    assert catalog.product(pid, purpose=Purpose.PAGE).status == Status.HIT
    assert len(reads) == 2
