"""Views counted in memory: written at most once per flush interval, kept when a write fails,
handed to the listener only once written."""

from __future__ import annotations

from collections.abc import Collection, Mapping

from affsite.catalog.index_buffer import BufferedIndex
from affsite.catalog.index_rows import ViewBatch
from affsite.clock import FakeClock


class Recording(BufferedIndex):
    """A buffered index that records the batches it is asked to write."""

    def __init__(self, clock: FakeClock, **options: object) -> None:
        super().__init__(clock, **options)  # type: ignore[arg-type]
        self.written: list[dict[str, int]] = []
        self.refuse = False

    def _write_views(self, ns: str, batch: ViewBatch) -> bool:
        if self.refuse:
            return False
        self.written.append(dict(batch.views))
        return True

    def _stored_site_views(self, ns: str, ids: Collection[str]) -> Mapping[str, float]:
        return {"stored": 5.0}


def test_views_are_written_once_the_interval_has_passed(clock: FakeClock) -> None:
    index = Recording(clock, flush_interval=30)
    index.viewed("ns", ["1"], by_site=True)
    clock.advance(29)
    index.viewed("ns", ["1"], by_site=True)
    assert index.written == []
    clock.advance(1)
    index.viewed("ns", ["2"], by_site=True)  # writes what was buffered first
    assert index.written == [{"1": 2}]


def test_a_refused_write_keeps_the_views_and_tells_no_listener(clock: FakeClock) -> None:
    told: list[Mapping[str, int]] = []
    index = Recording(clock, on_flush=lambda views, last: told.append(dict(views)))
    index.viewed("ns", ["1"], by_site=False)
    index.refuse = True
    index.flush(force=True)
    assert told == []
    index.refuse = False
    index.viewed("ns", ["1"], by_site=False)
    index.flush(force=True)
    assert index.written == told == [{"1": 2}]


def test_the_site_asked_for_what_it_buffered_or_what_was_stored(clock: FakeClock) -> None:
    index = Recording(clock)
    index.viewed("ns", ["mine"], by_site=True)
    index.viewed("ns", ["public"], by_site=False)
    assert index.for_site("ns", ["mine", "public", "stored"], since=5.0) == {"mine", "stored"}
    assert index.for_site("ns", ["stored"], since=6.0) == set()
