"""The per-process memo is bounded and forgets the least recently used entry first."""

from __future__ import annotations

from affsite.lru import LRU


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
