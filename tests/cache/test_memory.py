"""The stand-ins: a store that keeps nothing, and one process's store in memory."""

from __future__ import annotations

from affsite.cache import MemoryStore, NullStore
from affsite.clock import FakeClock


def test_null_store_has_the_same_interface() -> None:
    null = NullStore()
    assert null.get("k", 5) == 5 and not null.set("k", 1) and not null.add("k", 1)
    assert null.atomic(lambda tx: tx.add("k", 1)) is True
    assert null.count() == 0 and null.clear() == 0


def test_a_null_store_never_passes_for_a_shared_one() -> None:
    assert NullStore().not_shared_reason()


def test_memory_store_expires_keys_by_its_clock(clock: FakeClock) -> None:
    memory = MemoryStore(clock=clock)
    assert memory.add("lock", "me", expire=30) and not memory.add("lock", "you", expire=30)
    clock.advance(31)
    assert memory.get("lock") is None
    assert memory.add("lock", "you", expire=30)
    assert memory.not_shared_reason() is None  # chosen on purpose: one process's truth


def test_memory_store_reads_through_once_and_deletes_for_good() -> None:
    disk = {"quota": 7}
    reads: list[str] = []

    def read(key: str) -> object:
        reads.append(key)
        return disk.get(key)

    memory = MemoryStore(read_through=read)
    assert memory.atomic(lambda tx: tx.get("quota") + 1) == 8
    assert memory.get("quota") == 7 and reads == ["quota"]
    assert memory.delete("quota")
    assert memory.get("quota") is None, "a deleted key does not come back from the disk"
