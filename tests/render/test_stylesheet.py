"""The boxes' CSS: scoped under ``.affsite`` (nothing reaches the host page), nothing loaded
from elsewhere, and every text colour readable (WCAG AA, 4.5:1) in both themes."""

from __future__ import annotations

import re

import pytest

from affsite.render import STYLESHEET, Renderer
from affsite.resources import static_folder

CSS = (static_folder() / STYLESHEET).read_text(encoding="utf-8")


def rules(css: str) -> list[tuple[str, str]]:
    """(selector list, declarations) of every rule, at-rule blocks opened up."""
    text = re.sub(r"/\*.*?\*/", "", css, flags=re.S)
    text = re.sub(r"@(media|container|supports)[^{]*\{", "", text)
    found = []
    for selectors, body in re.findall(r"([^{}]+)\{([^{}]*)\}", text):
        found.append((" ".join(selectors.split()), body))
    return found


def test_every_selector_is_under_the_affsite_root() -> None:
    selectors = [s.strip() for group, _ in rules(CSS) for s in group.split(",")]
    assert len(selectors) > 80
    for selector in selectors:
        assert selector.startswith(".affsite"), selector
        assert not re.match(r"\.affsite[\w-]", selector), selector  # the root itself, not a prefix


def test_nothing_is_loaded_from_elsewhere() -> None:
    assert "@import" not in CSS and "url(" not in CSS and "@font-face" not in CSS
    assert "http" not in re.sub(r"/\*.*?\*/", "", CSS, flags=re.S)


def test_the_renderer_offers_the_same_text(renderer: Renderer) -> None:
    assert renderer.stylesheet() == CSS
    assert renderer.stylesheet() is renderer.stylesheet()


# --- colours -----------------------------------------------------------------------------------


def theme(selector: str, media: str | None = None) -> dict[str, str]:
    text = CSS
    if media is not None:
        text = text.split(media, 1)[1]
    body = text.split(selector + " {", 1)[1].split("}", 1)[0]
    return dict(re.findall(r"--affsite-([\w-]+):\s*(#[0-9a-f]{6})", body))


LIGHT = theme(".affsite")
DARK = theme(".affsite.affsite-theme-dark")
AUTO_DARK = theme(".affsite.affsite-theme-auto", "@media (prefers-color-scheme: dark)")

# Text colour on background, for every pair the templates draw.
PAIRS = [
    ("ink", "bg"),
    ("ink", "surface"),
    ("muted", "bg"),  # as-of line, disclosure, struck-through price, rating, unavailable
    ("muted", "surface"),
    ("link", "bg"),
    ("star", "bg"),
    ("on-accent", "accent"),  # the call to action
    ("on-accent", "accent-hover"),
    ("deal", "deal-bg"),  # the discount
]


def luminance(colour: str) -> float:
    def channel(value: int) -> float:
        c = value / 255
        return c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4

    r, g, b = (int(colour[i : i + 2], 16) for i in (1, 3, 5))
    return 0.2126 * channel(r) + 0.7152 * channel(g) + 0.0722 * channel(b)


def contrast(a: str, b: str) -> float:
    high, low = sorted((luminance(a), luminance(b)), reverse=True)
    return (high + 0.05) / (low + 0.05)


@pytest.mark.parametrize(("name", "colours"), [("light", LIGHT), ("dark", DARK)])
@pytest.mark.parametrize(("text", "background"), PAIRS)
def test_text_colours_pass_wcag_aa(
    name: str, colours: dict[str, str], text: str, background: str
) -> None:
    ratio = contrast(colours[text], colours[background])
    assert ratio >= 4.5, f"{name}: --affsite-{text} on --affsite-{background} is {ratio:.2f}:1"


def test_auto_is_light_or_exactly_the_dark_theme() -> None:
    assert AUTO_DARK == DARK
    assert set(LIGHT) == set(DARK)


def test_the_old_failing_colours_are_gone() -> None:
    # axe found white on #e5532d (3.7:1) and #6b7280 on tinted cards (4.47:1).
    assert "#e5532d" not in CSS and "#6b7280" not in CSS
