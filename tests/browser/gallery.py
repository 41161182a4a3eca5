"""Screenshots of every box template, light and dark, 1,200 and 375 px wide: docs/gallery/.

Run from the repository root (demo mode, loopback only, nothing leaves the machine)::

    .venv/bin/python -m tests.browser.gallery          # writes docs/gallery/*.png
    .venv/bin/python -m tests.browser.gallery --markdown   # also prints the README section

Each template is drawn by the snippet API (``/api/v1/snippet``) into a plain page of this
site that links only ``box.css``, on a light or a dark page background, in a browser window
of the given width; the picture is clipped to the drawn boxes. The app's clock stands still
at the start of the current hour (the demo sandbox accepts requests stamped within two hours
of its own clock), so every "price as of" line reads the same and a second run within the
hour draws the same pictures.
"""

from __future__ import annotations

import argparse
import json
import tempfile
import threading
import time
import urllib.parse
import urllib.request
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from playwright.sync_api import Browser, FloatRect, Page, Route

ROOT = Path(__file__).resolve().parents[2]
GALLERY = ROOT / "docs" / "gallery"
WIDTHS = (1200, 375)
THEMES = ("light", "dark")
# The page around the boxes, per theme (the boxes bring their own colours).
BACKGROUNDS = {"light": "#ffffff", "dark": "#0f141b"}
TEXT = {"light": "#1c2330", "dark": "#e6e9ef"}

EARBUDS = "1005004757833857"
MUG = "33006951782"
BACKPACK = "1005005122876543"


@dataclass(frozen=True)
class Shot:
    """One template as the gallery shows it: which products, and the words around an inline
    one (``{}`` is where it goes)."""

    template: str
    ids: tuple[str, ...]
    sentence: str | None = None
    caption: str = ""


SHOTS = (
    Shot("box", (EARBUDS,), caption="One product: image, title, rating, price, button"),
    Shot("grid", (EARBUDS, MUG, BACKPACK), caption="Cards side by side"),
    Shot("list", (EARBUDS, MUG, BACKPACK), caption="One row per product"),
    Shot("table", (EARBUDS, MUG, BACKPACK), caption="Comparison table (cards on phones)"),
    Shot("compact", (EARBUDS, MUG), caption="One line with a thumbnail"),
    Shot("button", (EARBUDS,), "Ready to order? {}", caption="A call-to-action button"),
    Shot("link", (MUG,), "I drink from {} every morning.", caption="A text link"),
    Shot("field", (EARBUDS,), "The earbuds cost {} right now.", caption="Just the price"),
)


def file_name(template: str, theme: str, width: int) -> str:
    return f"{template}-{theme}-{width}.png"


def snippet(site: str, shot: Shot, theme: str) -> str:
    query = urllib.parse.urlencode(
        {"ids": ",".join(shot.ids), "template": shot.template, "theme": theme}
    )
    with urllib.request.urlopen(f"{site}/api/v1/snippet?{query}", timeout=30) as response:
        body: bytes = response.read()
    return body.decode()


def preview_page(fragment: str, shot: Shot, theme: str) -> str:
    inner = shot.sentence.format(fragment) if shot.sentence else fragment
    tag = "p" if shot.sentence else "div"
    return f"""<!doctype html><html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{shot.template} ({theme})</title>
<link rel="stylesheet" href="/static/css/box.css">
<style>
  html {{ background: {BACKGROUNDS[theme]}; color: {TEXT[theme]}; color-scheme: {theme}; }}
  body {{ margin: 0; padding: 16px; font: 16px/1.5 system-ui, sans-serif; }}
  #shot {{ display: flow-root; padding: 8px; margin: 0; }}
  p#shot {{ display: block; width: max-content; max-width: 100%; }}
</style></head>
<body><main><{tag} id="shot">{inner}</{tag}></main></body></html>"""


# The drawn boxes, in page coordinates, with a margin: the cards themselves where a template
# draws cards (box, grid), so a single box is not pictured with the empty width beside it;
# else the whole drawing.
CONTENT_BOX = """() => {
  const cards = document.querySelectorAll("#shot article.product-box, #shot li.product-card");
  const parts = cards.length ? [...cards] : [document.getElementById("shot")];
  const rects = parts.map((element) => element.getBoundingClientRect());
  const margin = cards.length ? 8 : 0;
  const left = Math.max(0, Math.min(...rects.map((r) => r.left)) - margin);
  const top = Math.max(0, Math.min(...rects.map((r) => r.top)) - margin);
  const right = Math.max(...rects.map((r) => r.right)) + margin;
  const bottom = Math.max(...rects.map((r) => r.bottom)) + margin;
  return {x: left + scrollX, y: top + scrollY, width: right - left, height: bottom - top};
}"""


def content_box(page: Page) -> FloatRect:
    box: FloatRect = page.evaluate(CONTENT_BOX)
    return box


def fulfil_with(html: str) -> Callable[[Route], None]:
    def serve(route: Route) -> None:
        route.fulfill(status=200, content_type="text/html; charset=utf-8", body=html)

    return serve


def generate(browser: Browser, site: str, out: Path, shots: tuple[Shot, ...] = SHOTS) -> list[Path]:
    """Draws every shot in every theme and width into ``out``; answers the files written."""
    out.mkdir(parents=True, exist_ok=True)
    written: list[Path] = []
    for width in WIDTHS:
        context = browser.new_context(
            viewport={"width": width, "height": 800}, device_scale_factor=1
        )
        try:
            page = context.new_page()
            for shot in shots:
                for theme in THEMES:
                    html = preview_page(snippet(site, shot, theme), shot, theme)

                    address = f"{site}/gallery-preview/{shot.template}-{theme}"
                    page.route(address, fulfil_with(html))
                    page.emulate_media(color_scheme="dark" if theme == "dark" else "light")
                    page.goto(address, wait_until="networkidle")
                    # Lazy images decode once scrolled to; then back to the top.
                    page.evaluate("() => window.scrollTo(0, document.body.scrollHeight)")
                    page.wait_for_load_state("networkidle")
                    page.wait_for_function(
                        "() => [...document.images].every(i => i.complete && i.naturalWidth > 0)"
                    )
                    page.evaluate("() => window.scrollTo(0, 0)")
                    page.unroute(address)
                    target = out / file_name(shot.template, theme, width)
                    page.screenshot(
                        path=str(target),
                        full_page=True,
                        clip=content_box(page),
                        animations="disabled",
                    )
                    written.append(target)
        finally:
            context.close()
    return written


def markdown(prefix: str = "docs/gallery") -> str:
    """The README's gallery section: each template, light and dark at 1,200 px, linked to
    its 375 px pictures."""
    lines = [
        "## Gallery",
        "",
        "Every template in the light and the dark theme, drawn by the demo sandbox (regenerate",
        "with `.venv/bin/python -m tests.browser.gallery`). Phone-width (375 px) pictures are",
        "linked under each.",
        "",
        "| Template | Light | Dark |",
        "| --- | --- | --- |",
    ]
    for shot in SHOTS:
        cells = []
        for theme in THEMES:
            wide = f"{prefix}/{file_name(shot.template, theme, 1200)}"
            narrow = f"{prefix}/{file_name(shot.template, theme, 375)}"
            alt = f"{shot.template} template, {theme} theme"
            cells.append(f"![{alt}]({wide})<br>[375 px]({narrow})")
        lines.append(f"| `{shot.template}`: {shot.caption} | {cells[0]} | {cells[1]} |")
    return "\n".join(lines) + "\n"


@contextmanager
def demo_site() -> Iterator[str]:
    """The app in demo mode on a fixed clock, served on a free loopback port."""
    from werkzeug.serving import make_server

    from affsite import create_app
    from affsite.clock import FakeClock

    with tempfile.TemporaryDirectory() as folder:
        instance = Path(folder) / "instance"
        instance.mkdir(mode=0o700)
        (instance / "settings.json").write_text(json.dumps({}))
        app = create_app(
            {
                "INSTANCE_PATH": str(instance),
                "CLOCK": FakeClock(time.time() // 3600 * 3600),
                "REFRESH_INLINE": True,
            }
        )
        httpd = make_server("127.0.0.1", 0, app, threaded=True)
        thread = threading.Thread(target=httpd.serve_forever, daemon=True)
        thread.start()
        try:
            yield f"http://127.0.0.1:{httpd.server_port}"
        finally:
            httpd.shutdown()
            thread.join(timeout=10)
            httpd.server_close()


def main(argv: list[str] | None = None) -> None:
    from playwright.sync_api import sync_playwright

    from .helpers import CHROMIUM, CHROMIUM_ARGS

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=GALLERY, help="folder for the PNG files")
    parser.add_argument("--markdown", action="store_true", help="print the README section")
    args = parser.parse_args(argv)
    with demo_site() as site, sync_playwright() as pw:
        browser = pw.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS
        )
        try:
            written = generate(browser, site, args.out)
        finally:
            browser.close()
    for path in written:
        print(f"{path.relative_to(ROOT) if path.is_relative_to(ROOT) else path}")
    if args.markdown:
        print()
        print(markdown())


if __name__ == "__main__":
    main()
