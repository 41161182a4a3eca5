"""The gallery generator draws every template, light and dark, at both widths.

(The pictures in docs/gallery/ are made by ``python -m tests.browser.gallery``; this test
draws them into a temporary folder and checks each one.)
"""

from __future__ import annotations

import struct
from pathlib import Path
from typing import TYPE_CHECKING

from .gallery import SHOTS, THEMES, WIDTHS, file_name, generate, markdown
from .helpers import BROWSER_MARKS, DOCS, StartSite

if TYPE_CHECKING:
    from playwright.sync_api import Browser

pytestmark = BROWSER_MARKS

TEMPLATES = {"box", "grid", "list", "table", "compact", "button", "link", "field"}


def png_size(path: Path) -> tuple[int, int]:
    header = path.read_bytes()[:24]
    assert header[:8] == b"\x89PNG\r\n\x1a\n", f"{path} is not a PNG"
    width, height = struct.unpack(">II", header[16:24])
    return width, height


def test_gallery_draws_every_template_in_both_themes_at_both_widths(
    start_site: StartSite, browser: Browser, tmp_path: Path
) -> None:
    assert {shot.template for shot in SHOTS} == TEMPLATES
    site = start_site({})
    written = generate(browser, site, tmp_path)

    expected = {
        file_name(shot.template, theme, width)
        for shot in SHOTS
        for theme in THEMES
        for width in WIDTHS
    }
    assert {path.name for path in written} == expected
    for path in written:
        width, height = png_size(path)
        limit = int(path.stem.rsplit("-", 1)[1])
        assert 16 < width <= limit, f"{path.name}: {width} px wide"
        assert 16 < height < 2400, f"{path.name}: {height} px high"
        assert path.stat().st_size < 400_000, f"{path.name} is {path.stat().st_size} bytes"


def test_readme_shows_the_gallery_of_pictures_that_exist() -> None:
    section = markdown()
    readme = (DOCS.parent / "README.md").read_text()
    assert section in readme, "README.md's Gallery section differs from tests.browser.gallery"
    for shot in SHOTS:
        for theme in THEMES:
            for width in WIDTHS:
                name = file_name(shot.template, theme, width)
                assert f"docs/gallery/{name}" in section
                assert (DOCS / "gallery" / name).is_file(), (
                    f"run python -m tests.browser.gallery ({name})"
                )
