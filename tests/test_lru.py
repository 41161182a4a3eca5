"""The per-process memo is bounded and forgets the least recently used entry first."""

from __future__ import annotations

from affsite.lru import ENTRY_OVERHEAD, LRU, text_bytes


def test_a_page_is_drawn_once_per_key_and_the_oldest_are_forgotten() -> None:
    pages: LRU[str, str] = LRU(2)
    drawn: list[str] = []

    def draw(text: str) -> str:
        drawn.append(text)
        return text

    assert pages.get_or_make("a", lambda: draw("A")) == "A"
    assert pages.get_or_make("a", lambda: draw("again")) == "A"
    pages.get_or_make("b", lambda: draw("B"))
    pages.get_or_make("c", lambda: draw("C"))
    assert len(pages) == 2
    assert pages.get_or_make("a", lambda: draw("A2")) == "A2"  # "a" was the oldest
    assert drawn == ["A", "B", "C", "A2"]


def test_a_memory_bounded_by_bytes_forgets_the_oldest_until_it_fits() -> None:
    budget = 3 * (ENTRY_OVERHEAD + 1_000)
    pages: LRU[str, str] = LRU(100, max_bytes=budget, weigh=len)
    for name in "abc":
        pages.put(name, name * 1_000)
    assert len(pages) == 3 and pages.bytes == budget
    pages.get("a")  # now the most recently used
    pages.put("d", "d" * 1_500)  # needs the room of one more than "b"
    assert pages.get("b") is None and pages.get("c") is None
    assert pages.get("a") == "a" * 1_000 and pages.get("d") == "d" * 1_500
    assert pages.bytes <= budget


def test_replacing_a_value_counts_only_the_new_one_and_an_oversized_one_is_not_kept() -> None:
    pages: LRU[str, str] = LRU(10, max_bytes=10_000, weigh=len)
    pages.put("a", "x" * 5_000)
    pages.put("a", "y" * 100)
    assert pages.bytes == ENTRY_OVERHEAD + 100
    pages.put("huge", "z" * 20_000)
    assert pages.get("huge") is None and pages.get("a") == "y" * 100
    pages.clear()
    assert pages.bytes == 0 and len(pages) == 0


def test_text_bytes_counts_wide_characters() -> None:
    assert text_bytes("é" * 1_000) < text_bytes("😀" * 1_000)
    assert text_bytes(b"x" * 1_000) >= 1_000
