"""Per-process memos (rendered pages) are bounded and redrawn when what they show changes."""

from __future__ import annotations

from flask.testing import FlaskClient

from affsite.lru import LRU

IFRAME = "/embed/iframe/1005004757833857"


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


def test_a_saved_setting_shows_in_the_embed_at_once(admin: FlaskClient) -> None:
    assert "As an AliExpress affiliate" in admin.get(IFRAME).get_data(as_text=True)
    admin.post("/admin/settings", data={"disclosure": "We earn a commission on purchases."})
    page = admin.get(IFRAME).get_data(as_text=True)
    assert "We earn a commission on purchases." in page
    assert "As an AliExpress affiliate" not in page
