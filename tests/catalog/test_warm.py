"""Warm answers: a fresh product this process read before is answered from memory, while no
process has written or cleared entries since; the clock still decides what is fresh.

Several catalogs on one cache folder stand for the worker processes of one site.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from affsite.aliexpress.sandbox import Sandbox
from affsite.cache import open_stores
from affsite.catalog import Catalog, Purpose, Status
from affsite.catalog.entries import Entries, namespace
from affsite.catalog.generations import entries_generation
from affsite.catalog.warm import WarmTicket
from affsite.clock import FakeClock

from .conftest import DETAIL, MakeCatalog
from .helpers import DAY, SettingsBox, statuses


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


# --- tickets: a request answered wholly from memory, counted again without asking -------------


def _counts(catalog: Catalog, ids: list[str]) -> tuple[list[tuple[int, bool]], dict[Status, int]]:
    """Each product's total views and whether the site asked for it, and answers per status."""
    catalog.flush()
    rows = catalog.index.rows(namespace(catalog.settings()))
    views = [(rows[pid].total_views, rows[pid].site_view > 0) for pid in ids]
    return views, catalog.stats().counters


def test_a_ticket_is_given_only_when_every_answer_came_from_memory(
    catalog: Catalog, promotable: list[str]
) -> None:
    ids = promotable[:2]
    assert catalog.products_with_ticket(ids, purpose=Purpose.PUBLIC)[1] is None  # fetched
    assert catalog.products_with_ticket(ids, purpose=Purpose.PUBLIC)[1] is None  # store read
    answers, ticket = catalog.products_with_ticket(ids, purpose=Purpose.PUBLIC)
    assert ticket is not None and statuses(answers) == {Status.HIT}
    new = [ids[0], promotable[2]]  # one of them never fetched
    assert catalog.products_with_ticket(new, purpose=Purpose.PUBLIC)[1] is None


@pytest.mark.parametrize("purpose", [Purpose.PUBLIC, Purpose.PAGE])
def test_a_replayed_ticket_counts_what_asking_again_would(
    make_catalog: MakeCatalog, tmp_path: Path, promotable: list[str], purpose: Purpose
) -> None:
    ids = [promotable[0], promotable[1], promotable[0]]  # a repeat counts once, as asked
    # Two sites side by side, each with its own cache folder (and so its own counts).
    asked, replayed = make_catalog(), make_catalog(stores=open_stores(tmp_path / "other"))
    for catalog in (asked, replayed):
        for _ in range(3):
            catalog.products(ids, purpose=purpose)
    _, ticket = replayed.products_with_ticket(ids, purpose=purpose)
    asked.products(ids, purpose=purpose)
    assert ticket is not None
    for _ in range(4):
        asked.products(ids, purpose=purpose)
        assert replayed.replay(ticket)
    assert _counts(asked, promotable[:2]) == _counts(replayed, promotable[:2])


def test_a_ticket_stops_holding_once_anything_its_answers_stand_on_changes(
    make_catalog: MakeCatalog,
    clock: FakeClock,
    settings: SettingsBox,
    promotable: list[str],
) -> None:
    ids = promotable[:2]
    catalog, other = make_catalog(), make_catalog()

    def ticket() -> WarmTicket:
        for _ in range(3):
            _, made = catalog.products_with_ticket(ids, purpose=Purpose.PUBLIC)
        assert made is not None
        return made

    held = ticket()
    assert catalog.replay(held) and not other.replay(held)  # only the catalog that gave it
    settings.save(disclosure="Saved just now.")  # a save: new settings
    assert not catalog.replay(held)
    held = ticket()
    clock.advance(600)
    other.refresh(budget=5, horizon=10 * DAY)  # another worker renews an entry
    assert not catalog.replay(held)
    held = ticket()
    views = _counts(catalog, ids)
    clock.now = held.fresh_until  # the first entry is no longer fresh
    assert not catalog.replay(held)
    assert _counts(catalog, ids) == views  # a refused replay counts nothing
    assert Status.STALE in statuses(catalog.products(ids, purpose=Purpose.PUBLIC))


# --- what an entry read again is compared by -------------------------------------------------


def _rewrite(catalog: Catalog, pid: str, clock: FakeClock, **changes: object) -> None:
    """Write ``pid``'s entry back as another worker would: the same times, its product data
    changed by ``changes`` (none: the same data, which still moves the generation on)."""
    entries = Entries(catalog.stores.data, catalog.stores.ctl, entries_generation(catalog.stores))
    ns = namespace(catalog.settings())
    entry = entries.read(ns, pid)
    assert entry is not None and entry.data is not None
    entries.write(ns, pid, replace(entry, data={**entry.data, **changes}), clock())


def test_new_product_data_under_the_same_times_is_shown(
    catalog: Catalog, clock: FakeClock, promotable: list[str]
) -> None:
    # With an injected clock (or two writes within one tick) an entry can be written again
    # with new data and the very same times: what was remembered must not be handed out.
    pid = promotable[0]
    catalog.product(pid, purpose=Purpose.PAGE)
    before = catalog.product(pid, purpose=Purpose.PAGE)
    assert before.product is not None and before.product.title != "Rewritten title"
    _rewrite(catalog, pid, clock, title="Rewritten title")
    after = catalog.product(pid, purpose=Purpose.PAGE)
    assert after.status == Status.HIT and after.fetched_at == before.fetched_at
    assert after.product is not None and after.product.title == "Rewritten title"
    assert catalog.product(pid, purpose=Purpose.PAGE) is after  # and remembered in turn


def test_an_entry_read_again_unchanged_is_the_very_same_answer(
    catalog: Catalog, clock: FakeClock, promotable: list[str]
) -> None:
    # Layers above keep what they drew by the answer's identity: reading an unchanged entry
    # back (another worker wrote something, so the store is read again) must not cost them it.
    pid = promotable[0]
    catalog.product(pid, purpose=Purpose.PAGE)
    before = catalog.product(pid, purpose=Purpose.PAGE)
    _rewrite(catalog, pid, clock)
    assert catalog.product(pid, purpose=Purpose.PAGE) is before


def test_remembered_entries_keep_their_times_not_the_product_data(
    catalog: Catalog, promotable: list[str]
) -> None:
    # The product is kept decoded in the answer; keeping the data as read as well would more
    # than double what each remembered entry costs a worker.
    pid = promotable[0]
    catalog.product(pid, purpose=Purpose.PAGE)
    answer = catalog.product(pid, purpose=Purpose.PAGE)
    known = catalog._warm._remembered.get((namespace(catalog.settings()), pid))
    assert known is not None and known.fresh_answer is answer
    assert known.entry.data is None and known.digest is not None
    assert known.entry.fetched_at == answer.fetched_at
