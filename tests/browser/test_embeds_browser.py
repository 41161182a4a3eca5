"""Proof in a real browser that boxes embed into another website every way we offer.

The host pages are served from another origin (their own loopback server) and embed boxes:

* by script tag: ``<div class="affsite" data-ids>`` placeholders and one ``/embed.js``,
  including a placeholder a single-page app adds later;
* by iframe: ``/embed/<template>?ids=...`` and ``/embed/iframe/<id>`` pasted as HTML, and an
  iframe that a WordPress page's wp-embed script adopts (it adds the secret afterwards);
* by an oEmbed answer placed the way WordPress places it (tests/browser/wordpress.py): only
  ``a``, ``blockquote`` and ``iframe`` kept, ``sandbox="allow-scripts"``, a ``#?secret=``
  fragment, the iframe hidden until it speaks, and the wp-embed listener in the host page.

Each test checks that the boxes appear, that the iframes take the height of their content
(and follow it when it changes), and that the call to action reaches AliExpress through our
``/go/<id>``: the browser opens ``/go/<id>``, which answers a 302 to an https AliExpress
address. Nothing leaves the machine: routes stop every request to a non-loopback host and
answer AliExpress's with a stub page, and the browser resolves no host name but loopback.
"""

from __future__ import annotations

import json
import re
import time
import urllib.parse
import urllib.request
from dataclasses import dataclass, field
from html import escape
from typing import TYPE_CHECKING, Any

from .helpers import (
    BROWSER_MARKS,
    HostSite,
    Problems,
    StartSite,
    is_aliexpress_https,
    title_of,
)
from .wordpress import HOST_SCRIPT, place

if TYPE_CHECKING:
    from playwright.sync_api import (
        BrowserContext,
        ElementHandle,
        Frame,
        FrameLocator,
        Locator,
        Page,
    )

pytestmark = BROWSER_MARKS

EARBUDS = "1005004757833857"
MUG = "33006951782"
DRONE = "1005006894410037"
LOOPBACK = re.compile(r"^(127\.\d+\.\d+\.\d+|localhost|::1)$")
ALIEXPRESS_STUB = (
    '<!doctype html><html lang="en"><title>AliExpress</title><h1>AliExpress (stub)</h1></html>'
)


@dataclass
class Traffic:
    """What the browser asked for that the tests watch (see ``keep_on_loopback``)."""

    aliexpress: list[str] = field(default_factory=list)  # answered by the stub
    blocked: list[str] = field(default_factory=list)  # stopped
    go: list[tuple[str, int, str]] = field(default_factory=list)  # /go/ URL, status, Location
    embeds: list[str] = field(default_factory=list)  # embed.js's batched requests


def keep_on_loopback(context: BrowserContext) -> Traffic:
    """Routes every request of the context: loopback goes through, AliExpress gets a stub,
    anything else is stopped. A browser follows redirects inside its network stack, where
    routes never see them (Playwright's design), so a ``/go/`` request is made here instead:
    its real answer is recorded, and a 302 to AliExpress is answered with the stub, as the
    AliExpress page it leads to."""
    traffic = Traffic()

    def route(route: Any) -> None:
        url = route.request.url
        parts = urllib.parse.urlsplit(url)
        if LOOPBACK.match(parts.hostname or "") and parts.path.startswith("/go/"):
            answer = route.fetch(max_redirects=0)
            location = answer.headers.get("location", "")
            traffic.go.append((url, answer.status, location))
            if answer.status == 302 and is_aliexpress_https(location):
                traffic.aliexpress.append(location)
                route.fulfill(status=200, content_type="text/html", body=ALIEXPRESS_STUB)
            else:
                route.fulfill(response=answer)
        elif LOOPBACK.match(parts.hostname or ""):
            route.continue_()
        elif is_aliexpress_https(url):
            traffic.aliexpress.append(url)
            route.fulfill(status=200, content_type="text/html", body=ALIEXPRESS_STUB)
        else:
            traffic.blocked.append(url)
            route.abort("blockedbyclient")

    def response(resp: Any) -> None:
        if urllib.parse.urlsplit(resp.url).path == "/api/v1/embeds":
            traffic.embeds.append(resp.url)

    context.route("**/*", route)
    context.on("response", response)
    return traffic


def eventually(check: Any, what: str, seconds: float = 10.0) -> Any:
    """Polls ``check()`` until it returns something truthy (bounded by time)."""
    deadline = time.monotonic() + seconds
    last: Any = None
    while time.monotonic() < deadline:
        last = check()
        if last:
            return last
        time.sleep(0.1)
    raise AssertionError(f"{what} (last seen: {last!r})")


def content_height(frame: Frame) -> int:
    """The height the framed page needs: the bottom of its body (margins and padding in)."""
    height: int = frame.evaluate(
        """() => {
          const body = document.body, style = getComputedStyle(body);
          return Math.ceil(body.getBoundingClientRect().bottom + parseFloat(style.marginBottom));
        }"""
    )
    return height


def assert_fits(iframe: ElementHandle, low: int = 0, high: int = 100_000) -> int:
    """The iframe ends up as tall as its content (clamped to [low, high], as wp-embed does),
    within 2 px, and shows all of it (no scrolling inside); answers that height."""
    frame = iframe.content_frame()
    assert frame is not None

    def fits() -> int | None:
        shown = int(iframe.evaluate("f => f.clientHeight"))
        wanted = min(max(content_height(frame), low), high)
        return shown if abs(shown - wanted) <= 2 else None

    def describe() -> str:
        shown = iframe.evaluate("f => f.clientHeight")
        return f"shown {shown}, content {content_height(frame)}"

    try:
        return int(eventually(fits, "the iframe does not take its content's height"))
    except AssertionError as exc:
        raise AssertionError(f"{exc}: {describe()}") from None


def assert_box(frame: FrameLocator | Frame, product_id: str) -> None:
    from playwright.sync_api import expect

    if hasattr(frame, "owner"):
        # Chromium pauses animation frames in cross-origin frames out of view, and
        # Playwright waits for them: bring the iframe itself into view first.
        frame.owner.scroll_into_view_if_needed()
    box = frame.locator(f"[data-product-id='{product_id}']").first
    expect(box).to_be_visible()
    expect(box).to_contain_text(title_of(product_id)[:20])
    image = box.locator("img")
    if image.count():
        image.first.scroll_into_view_if_needed()
        expect(image.first).to_have_js_property("complete", True)
        assert image.first.evaluate("img => img.naturalWidth") > 0


def cta(frame: FrameLocator | Frame, product_id: str) -> Locator:
    return frame.locator(f"[data-product-id='{product_id}'] a[rel~='sponsored']").first


def assert_went_through_go(page: Page, traffic: Traffic, site: str, product_id: str) -> None:
    """The browser opened our /go/<id>, which answered a 302 to https AliExpress (where the
    stub stands in for the page it leads to)."""
    from playwright.sync_api import expect

    address = f"{site}/go/{product_id}"
    page.wait_for_url(address)
    expect(page.get_by_role("heading")).to_have_text("AliExpress (stub)")
    go = [hop for hop in traffic.go if hop[0] == address]
    assert go, f"no request to {address}; /go requests: {traffic.go}"
    _, status, location = go[-1]
    assert status == 302, go
    assert is_aliexpress_https(location), go


def forget(problems: Problems) -> None:
    for found in (problems.console_errors, problems.page_errors, problems.failed_requests):
        found.clear()


def iframes(page: Page, selector: str) -> list[ElementHandle]:
    return page.locator(selector).element_handles()


# --- (a) script tag ------------------------------------------------------------------------

HOSTILE_IDS = '"><img src=x onerror=alert(1)>'


def script_host(site: str) -> str:
    return f"""<!doctype html><html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1"><title>Gadgets</title>
<style>body {{ font-family: serif; max-width: 760px; margin: 2rem auto; }}
/* A host page's own rules must not reach inside the boxes. */
a {{ color: lime !important; }} img {{ border: 9px solid lime; }}</style></head>
<body><main><h1>Gadgets I like</h1>
<p>My favourite earbuds:</p>
<div class="affsite" id="one" data-ids="{EARBUDS}" data-template="box"></div>
<p>Two more, side by side:</p>
<div class="affsite" id="grid" data-ids="{MUG},{DRONE}" data-template="grid" data-theme="dark">
</div>
<div class="affsite" id="bad" data-ids="not-a-product"></div>
<div class="affsite" id="hostile" data-ids="{escape(HOSTILE_IDS)}"></div>
<div id="later"></div>
<script src="{site}/embed.js" async></script>
</main></body></html>"""


def test_script_tag_shows_every_placeholder_including_later_ones(
    start_site: StartSite, host_site: HostSite, page: Page, problems: Problems
) -> None:
    from playwright.sync_api import expect

    site = start_site({})
    traffic = keep_on_loopback(page.context)
    blog = host_site({"/post": script_host(site)})
    page.goto(f"{blog}/post")

    frames = page.locator(".affsite iframe.affsite-frame")
    expect(frames).to_have_count(2)
    one = page.locator("#one iframe").content_frame
    grid = page.locator("#grid iframe").content_frame
    assert_box(one, EARBUDS)
    assert_box(grid, MUG)
    assert_box(grid, DRONE)
    # One request for every placeholder on the page; the unusable ones are refused quietly.
    assert len(traffic.embeds) == 1, f"one batched request: {traffic.embeds}"
    assert len(urllib.parse.parse_qs(urllib.parse.urlsplit(traffic.embeds[0]).query)["b"]) == 4
    for bad in ("#bad", "#hostile"):
        expect(page.locator(bad)).to_have_attribute("data-affsite-state", "error")
        expect(page.locator(f"{bad} iframe")).to_have_count(0)
    for frame in iframes(page, ".affsite iframe.affsite-frame"):
        assert (frame.get_attribute("src") or "").startswith(f"{site}/embed/")
        assert "#?secret=" in (frame.get_attribute("src") or "")
        sandbox = (frame.get_attribute("sandbox") or "").split()
        assert {"allow-scripts", "allow-popups", "allow-popups-to-escape-sandbox"} <= set(sandbox)
        assert frame.get_attribute("title")
        assert_fits(frame)
    # Nothing from product data is in the host page itself.
    expect(page.locator("main .product-title, main img")).to_have_count(0)

    # A single-page app adds a placeholder later: it is filled too, with one more request.
    page.evaluate(
        """(id) => {
          const div = document.createElement("div");
          div.className = "affsite";
          div.dataset.ids = id;
          div.dataset.template = "list";
          document.getElementById("later").append(div);
        }""",
        MUG,
    )
    expect(frames).to_have_count(3)
    assert_box(page.locator("#later iframe").content_frame, MUG)
    assert_fits(iframes(page, "#later iframe")[0])
    assert len(traffic.embeds) == 2
    page.evaluate("() => window.affsiteEmbed.scan()")  # each placeholder is handled once
    page.wait_for_timeout(300)
    assert len(traffic.embeds) == 2

    # The grid's frame follows its content when the column gets narrow (cards stack).
    grid_frame = iframes(page, "#grid iframe")[0]
    wide = assert_fits(grid_frame)
    page.set_viewport_size({"width": 375, "height": 800})
    eventually(lambda: assert_fits(grid_frame) > wide + 50, "the grid's frame did not grow")

    # The host page's styles stay out of the boxes.
    link = cta(one, EARBUDS)
    assert link.evaluate("a => getComputedStyle(a).color") != "rgb(0, 255, 0)"

    # The call to action opens AliExpress through /go/ in a new tab.
    with page.expect_popup() as opened:
        link.click()
    assert_went_through_go(opened.value, traffic, site, EARBUDS)
    assert traffic.blocked == []
    assert problems.all() == []


# --- (b) iframes pasted as HTML ----------------------------------------------------------


def home_page_iframe_code(page: Page, site: str) -> str:
    """The iframe code the home page offers, as a site owner copies it."""
    page.goto(f"{site}/", wait_until="networkidle")
    code = page.locator("#embed figure", has_text="Iframe").locator("code").inner_text()
    page.goto("about:blank")
    return code


def pasted_iframe(code: str, src: str) -> str:
    """The home page's iframe code with another address (what an owner does for a grid)."""
    pasted = re.sub(r'src="[^"]*"', f'src="{src}"', code, count=1)
    return pasted.replace('width="360"', 'width="600"')


def test_pasted_iframes_show_boxes_and_link_through_go(
    start_site: StartSite, host_site: HostSite, page: Page, problems: Problems
) -> None:
    site = start_site({})
    traffic = keep_on_loopback(page.context)
    code = home_page_iframe_code(page, site)
    assert code.startswith(f'<iframe src="{site}/embed/iframe/{EARBUDS}"')
    forget(problems)  # leaving the home page may abort its last requests (the favicon)
    blog = host_site(
        code
        + pasted_iframe(code, f"{site}/embed/grid?ids={MUG},{DRONE}&theme=dark")
        + pasted_iframe(code, f"{site}/embed/table?ids={EARBUDS},{MUG},{DRONE}")
    )
    page.goto(blog)

    frames = page.locator("iframe")
    assert_box(frames.nth(0).content_frame, EARBUDS)
    assert_box(frames.nth(1).content_frame, MUG)
    assert_box(frames.nth(1).content_frame, DRONE)
    assert_box(frames.nth(2).content_frame, DRONE)

    for n, product in ((0, EARBUDS), (1, DRONE)):
        link = cta(frames.nth(n).content_frame, product)
        with page.expect_popup() as opened:
            link.click()
        assert_went_through_go(opened.value, traffic, site, product)
        opened.value.close()
    assert traffic.blocked == []
    assert problems.all() == []


def test_an_iframe_adopted_by_a_wordpress_page_resizes_to_its_content(
    start_site: StartSite, host_site: HostSite, page: Page, problems: Problems
) -> None:
    """WordPress's wp-embed script runs on every WordPress page: it gives a secret to each
    ``iframe.wp-embedded-content`` that has none (by adding ``#?secret=`` to a page already
    loaded) and says ``ready``; the frame must then report its height with that secret."""
    site = start_site({})
    keep_on_loopback(page.context)
    src = f"{site}/embed/grid?ids={MUG},{DRONE}"
    blog = host_site(
        f'<iframe class="wp-embedded-content" src="{src}" width="600" height="900" '
        f'title="AliExpress products"></iframe><script>{HOST_SCRIPT}</script>'
    )
    page.goto(blog)
    iframe = page.locator("iframe").element_handle()
    assert re.fullmatch(r"[a-z0-9]{1,10}", iframe.get_attribute("data-secret") or "")
    frame = iframe.content_frame()
    assert frame is not None
    assert_box(frame, MUG)
    height = assert_fits(iframe, low=200, high=1000)
    assert height != 900
    assert problems.all() == []


# --- (c) oEmbed, placed as WordPress places it --------------------------------------------


def oembed(site: str, url: str, maxwidth: int = 600) -> dict[str, Any]:
    query = urllib.parse.urlencode({"url": url, "maxwidth": maxwidth, "format": "json"})
    with urllib.request.urlopen(f"{site}/oembed?{query}", timeout=10) as response:
        assert response.status == 200
        answer: dict[str, Any] = json.loads(response.read())
    return answer


def wordpress_post(embeds: list[str]) -> str:
    body = "".join(f"<p>Read on:</p>{html}" for html in embeds)
    return f"""<!doctype html><html lang="en"><head><meta charset="utf-8"><title>A post</title>
</head><body><main><h1>A WordPress post</h1>{body}</main>
<script>{HOST_SCRIPT}</script></body></html>"""


def test_oembed_answer_placed_as_wordpress_does_resizes_and_links_through_go(
    start_site: StartSite, host_site: HostSite, page: Page, problems: Problems
) -> None:
    from playwright.sync_api import expect

    site = start_site({})
    traffic = keep_on_loopback(page.context)
    product_url = f"https://www.aliexpress.com/item/{EARBUDS}.html"
    answer = oembed(site, product_url)
    assert answer["type"] == "rich" and answer["version"] == "1.0"
    placed = place(answer["html"], secret="Abc123XYZ0")
    assert "<blockquote" in placed  # the fallback WordPress shows until the frame speaks
    blog = host_site({"/post": wordpress_post([placed])})
    page.goto(f"{blog}/post")

    iframe_locator = page.locator("iframe.wp-embedded-content")
    expect(iframe_locator).to_have_attribute("sandbox", "allow-scripts")
    # The frame spoke: wp-embed revealed it (its clip style removed), hid the fallback.
    expect(iframe_locator).not_to_have_attribute("style", re.compile("clip"))
    expect(page.locator("blockquote.wp-embedded-content")).to_be_hidden()
    frame = iframe_locator.content_frame
    assert_box(frame, EARBUDS)
    iframe = iframe_locator.element_handle()
    assert_fits(iframe, low=200, high=1000)

    # In the sandbox the frame cannot open a tab or leave: the click asks the parent, which
    # opens our /go/ (same host as the frame, after a click inside it), which goes on to
    # AliExpress in the top page.
    cta(frame, EARBUDS).click()
    assert_went_through_go(page, traffic, site, EARBUDS)
    assert traffic.blocked == []
    assert problems.all() == []


def test_oembed_for_an_embed_page_of_ours_shows_that_page(
    start_site: StartSite, host_site: HostSite, page: Page, problems: Problems
) -> None:
    """A page of ours (an /embed/<template> address) pasted into WordPress: the grid."""
    site = start_site({})
    keep_on_loopback(page.context)
    answer = oembed(site, f"{site}/embed/grid?ids={MUG},{DRONE}")
    blog = host_site({"/post": wordpress_post([place(answer["html"])])})
    page.goto(f"{blog}/post")
    iframe = page.locator("iframe.wp-embedded-content")
    assert_box(iframe.content_frame, MUG)
    assert_box(iframe.content_frame, DRONE)
    assert_fits(iframe.element_handle(), low=200, high=1000)
    assert problems.all() == []
