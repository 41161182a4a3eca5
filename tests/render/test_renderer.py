"""The renderer: boxes as Markup, kept by everything they show, one product at a time.

Issue 8 row 1 (page side): one bad product is only ever that product's fallback box.
Issue 8 row 2 (render side): only AliExpress links and image hosts reach ``href``/``src``.
"""

from __future__ import annotations

import logging
import re
from dataclasses import replace
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from markupsafe import Markup

from affsite.aliexpress import Money
from affsite.catalog import Status
from affsite.lru import LRU
from affsite.render import BoxSettings, BoxTemplate, Heading, Options, Page, Renderer
from affsite.render import renderer as renderer_module
from affsite.render.environment import make_environment
from affsite.resources import template_folder
from affsite.settings import Settings

from .helpers import EARBUDS, FETCHED_AT, MUG, answer, unavailable

SETTINGS = Settings()


def counting_renderer(tmp_path: Path, box: str) -> tuple[Renderer, list[str]]:
    """A renderer whose box template is ``box`` (its root element drawn as nothing but the
    products) and can count how often it is drawn; ``pid`` is the product's id."""
    (tmp_path / "boxes").mkdir()
    (tmp_path / "boxes" / "box.html").write_text("{% set pid = (p or missing).id %}" + box)
    (tmp_path / "boxes" / "_frame.html").write_text("{{ items }}")
    drawn: list[str] = []

    def count(pid: str) -> str:
        drawn.append(pid)
        return ""

    environment = make_environment(tmp_path)
    environment.globals["drawn"] = count
    return Renderer(environment), drawn


def test_a_box_shows_the_product_with_its_compliance_details(renderer: Renderer) -> None:
    html = renderer.products([answer()], SETTINGS)
    assert isinstance(html, Markup)
    assert f'data-product-id="{EARBUDS}"' in html
    assert '<span class="product-price-now">$12.34</span>' in html
    assert (
        '<s class="product-price-was"><span class="visually-hidden">was </span>$24.68</s>' in html
    )
    assert '<time datetime="2023-11-14T22:13:20Z">14 Nov 2023, 22:13 UTC</time>' in html
    assert 'href="https://s.click.aliexpress.com/e/_DDVNpw0U"' in html
    assert 'rel="sponsored nofollow noopener" target="_blank"' in html
    assert "(opens in a new tab)" in html
    assert 'width="220" height="220" loading="lazy"' in html
    assert SETTINGS.disclosure in html
    assert '<h3 class="product-title" dir="auto">Wireless Earbuds</h3>' in html
    assert html.startswith('<div class="affsite affsite-box affsite-theme-light" dir="ltr">')


def test_options_choose_the_heading(renderer: Renderer) -> None:
    html = renderer.products([answer()], SETTINGS, BoxTemplate.BOX, Options(heading=Heading.H1))
    assert '<h1 class="product-title" dir="auto">' in html


def test_a_stale_price_says_it_may_have_changed(renderer: Renderer) -> None:
    assert "it may have changed" in renderer.products([answer(status=Status.STALE)], SETTINGS)
    assert "it may have changed" not in renderer.products([answer()], SETTINGS)


def test_an_unavailable_product_is_a_graceful_box(renderer: Renderer) -> None:
    html = renderer.products([unavailable(MUG)], SETTINGS)
    assert f"AliExpress product {MUG}" in html
    assert "This product is not available right now." in html
    assert SETTINGS.disclosure in html
    assert "href=" not in html


def test_hostile_product_text_is_escaped(renderer: Renderer) -> None:
    title = '"><script>alert(1)</script><img src=x onerror=alert(2)>'
    html = renderer.products([answer(title=title)], SETTINGS)
    assert "<script>alert(1)" not in html and "onerror=alert(2)>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html


def test_links_and_images_off_aliexpress_never_reach_href_or_src(renderer: Renderer) -> None:
    # The audit: promotion_link to a phishing page, a protocol-relative detail link and a
    # path on this site as the image were all used as they came.
    hostile = answer(
        promotion_link="https://evil.example/phish",
        detail_url="//evil.example/x",
        image="/admin/logout",
    )
    html = renderer.products([hostile], SETTINGS)
    urls = re.findall(r'(?:href|src)="([^"]*)"', html)
    assert urls == [
        f"https://www.aliexpress.com/item/{EARBUDS}.html"
    ]  # its own page, no commission


def test_the_detail_link_is_used_when_the_promotion_link_is_not_allowed(renderer: Renderer) -> None:
    html = renderer.products([answer(promotion_link="javascript:alert(1)")], SETTINGS)
    assert f'href="https://www.aliexpress.com/item/{EARBUDS}.html"' in html
    assert "javascript:" not in html


def test_demo_pictures_only_in_demo_mode(renderer: Renderer) -> None:
    demo = answer(image="/sandbox-media/1005004757833857-0.svg")
    assert 'src="/sandbox-media/1005004757833857-0.svg"' in renderer.products([demo], SETTINGS)
    live = Settings(app_key="500000", app_secret="s" * 32)
    assert "<img" not in renderer.products([demo], live)


@pytest.mark.parametrize("amount", ["1e26", "1E+80000000", "1e-1000000"])
def test_a_price_no_one_can_write_shows_no_price_and_the_rest_of_the_box(
    renderer: Renderer, amount: str
) -> None:
    html = renderer.products([answer(price=Money(Decimal(amount), "USD"))], SETTINGS)
    assert "product-price" not in html
    assert "Wireless Earbuds" in html and "View on AliExpress" in html


def test_a_product_that_cannot_be_drawn_is_its_fallback_and_the_others_are_drawn(
    renderer: Renderer, caplog: pytest.LogCaptureFixture
) -> None:
    # Comparing a signalling NaN raises decimal.InvalidOperation while the view is made (and
    # the answer cannot even be hashed, so it cannot be kept either).
    bad = answer(MUG, original_price=Money(Decimal("sNaN"), "USD"))
    with caplog.at_level(logging.ERROR, logger="affsite.render.renderer"):
        html = renderer.products([answer(), bad, answer("1005001")], SETTINGS)
    assert html.count("<article") == 3
    assert f'data-product-id="{EARBUDS}"' in html and 'data-product-id="1005001"' in html
    box = html.split(f'data-product-id="{MUG}"', 1)[1].split("</article>", 1)[0]
    assert "This product is not available right now." in box
    assert SETTINGS.disclosure in box
    assert f"drawing product '{MUG}'" in caplog.text


def test_a_failing_product_is_logged_once_and_its_fallback_kept(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    renderer, drawn = counting_renderer(
        tmp_path,
        "{{ drawn(pid) }}{% if p and p.title == 'boom' %}{{ 1 // 0 }}{% endif %}"
        "[{{ pid }}:{{ 'product' if p else 'fallback' }}]",
    )
    bad = answer(MUG, title="boom")
    with caplog.at_level(logging.ERROR, logger="affsite.render.renderer"):
        first = renderer.products([bad, answer()], SETTINGS)
        again = renderer.products([bad, answer()], SETTINGS)
    assert first == again == f"[{MUG}:fallback]\n[{EARBUDS}:product]"
    assert drawn == [MUG, MUG, EARBUDS]  # the bad one, its fallback, the good one; then kept
    assert len(caplog.records) == 1


def test_when_even_the_fallback_fails_a_plain_box_is_shown(tmp_path: Path) -> None:
    renderer, _ = counting_renderer(tmp_path, "{{ 1 // 0 }}")
    html = renderer.products([answer()], Settings(disclosure="<b>Ad</b>"))
    assert html == (
        f'<article class="product-box product-box-unavailable" data-product-id="{EARBUDS}">'
        '<p class="product-unavailable">This product is not available right now.</p>'
        '<p class="product-disclosure">&lt;b&gt;Ad&lt;/b&gt;</p></article>'
    )


def test_a_box_is_drawn_once_for_everything_it_shows(tmp_path: Path) -> None:
    renderer, drawn = counting_renderer(tmp_path, "{{ drawn(pid) }}{{ look.disclosure }}")
    one = answer()
    for _ in range(3):
        renderer.products([one], SETTINGS)
    assert drawn == [EARBUDS]
    # Settings a box does not show keep it ...
    renderer.products([one], replace(SETTINGS, daily_quota=7, tracking_id="other"))
    assert len(drawn) == 1
    # ... a refresh, a new disclosure or language, other options are new drawings.
    renderer.products([replace(one, fetched_at=FETCHED_AT + 60)], SETTINGS)
    renderer.products([one], replace(SETTINGS, disclosure="Ad."))
    renderer.products([one], replace(SETTINGS, language="DE"))
    renderer.products([one], SETTINGS, BoxTemplate.BOX, Options(heading=Heading.H1))
    assert len(drawn) == 5


def test_settings_may_be_given_as_box_settings(renderer: Renderer) -> None:
    look = BoxSettings(language="DE", disclosure="Werbung.")
    html = renderer.products([answer()], look)
    assert "12,34\xa0$" in html and "Werbung." in html


def test_kept_boxes_are_bounded(tmp_path: Path) -> None:
    renderer, drawn = counting_renderer(tmp_path, "{{ drawn(pid) }}")
    renderer = Renderer(renderer.environment, max_fragments=2)
    for pid in ("1001", "1002", "1003", "1001"):
        renderer.products([answer(pid)], SETTINGS)
    assert drawn == ["1001", "1002", "1003", "1001"]


def test_a_page_is_kept_by_the_path_of_its_assets_too(renderer: Renderer) -> None:
    # The assets path comes from the URL root: a page drawn for one root is never handed out
    # for another (issue 8 row 4).
    forged = renderer.page(Page.IFRAME, [answer()], SETTINGS, assets="//evil.example/static")
    clean = renderer.page(Page.IFRAME, [answer()], SETTINGS, assets="/static")
    assert 'href="//evil.example/static/css/box.css' in forged
    assert "evil.example" not in clean
    assert 'href="/static/css/box.css?v=' in clean
    assert clean.startswith("<!doctype html>")
    assert "<title>Wireless Earbuds</title>" in clean
    assert renderer.page(Page.IFRAME, [answer()], SETTINGS, assets="/static") is clean


def test_the_not_found_page_shows_no_product(renderer: Renderer) -> None:
    page = renderer.page(Page.NOT_FOUND, (), SETTINGS, assets="/shop/static")
    assert "This embed address does not name a product." in page
    assert 'href="/shop/static/css/embed.css?v=' in page


def test_every_display_setting_is_a_new_drawing(tmp_path: Path) -> None:
    renderer, drawn = counting_renderer(tmp_path, "{{ drawn(pid) }}{{ button_text }}")
    one = answer()
    renderer.products([one], SETTINGS)
    for change in (
        {"box_theme": "dark"},
        {"button_text": "Buy"},
        {"unavailable_display": "link"},
        {"json_ld": True},
    ):
        renderer.products([one], replace(SETTINGS, **change))
    assert len(drawn) == 5
    renderer.products([one], SETTINGS, BoxTemplate.BOX, Options(button_text="Go"))
    renderer.products([one], SETTINGS, BoxTemplate.BOX, Options(link_via="/go/"))
    renderer.products([one], SETTINGS, BoxTemplate.BOX, Options(title="Mine"))
    renderer.products([one], SETTINGS, BoxTemplate.BOX, Options(title="Mine"))
    assert len(drawn) == 8


def test_the_root_element_is_drawn_once_per_template_options_and_settings(
    renderer: Renderer,
) -> None:
    first = renderer.products([answer()], SETTINGS, BoxTemplate.TABLE)
    environment = renderer.environment
    loads: list[str] = []
    original = environment.get_template

    def counting(name: str, *args: object, **kwargs: object) -> object:
        loads.append(name)
        return original(name)

    environment.get_template = counting  # type: ignore[method-assign,assignment]
    again = renderer.products([answer(), answer("1005001")], SETTINGS, BoxTemplate.TABLE)
    assert "boxes/table.html" in loads  # the new product ...
    assert "boxes/_frame.html" not in loads  # ... in the kept frame
    assert again.startswith(first.split("<tr", 1)[0])


def test_nothing_to_show_is_no_markup_at_all(renderer: Renderer) -> None:
    assert renderer.products([], SETTINGS) == ""
    hidden = replace(SETTINGS, unavailable_display="hide")
    assert renderer.products([unavailable(MUG)], hidden, BoxTemplate.GRID) == ""
    assert 'class="affsite affsite-grid' in renderer.products(
        [unavailable(MUG), answer()], hidden, BoxTemplate.GRID
    )


def test_a_page_gets_the_look_and_its_discovery_address(tmp_path: Path) -> None:
    (tmp_path / "boxes").mkdir()
    (tmp_path / "boxes" / "box.html").write_text("[box]")
    (tmp_path / "boxes" / "_frame.html").write_text("{{ items }}")
    (tmp_path / "embed").mkdir()
    (tmp_path / "embed" / "iframe.html").write_text(
        "{{ boxes }}|{{ look.direction }}|{{ template }}|{{ options.heading }}|{{ discovery }}"
    )
    renderer = Renderer(make_environment(tmp_path))
    look = replace(SETTINGS, language="HE")
    page = renderer.page(Page.IFRAME, [answer()], look, assets="/s", discovery="https://x/o")
    assert page == "[box]|rtl|box|h3|https://x/o"
    other = renderer.page(Page.IFRAME, [answer()], look, assets="/s", discovery="https://y/o")
    assert other.endswith("https://y/o")


def test_the_stylesheet_is_read_from_the_apps_static_folder(tmp_path: Path) -> None:
    (tmp_path / "css").mkdir()
    (tmp_path / "css" / "box.css").write_text(".affsite{}")
    renderer = Renderer(make_environment(tmp_path), static=tmp_path)
    assert renderer.stylesheet() == ".affsite{}"


def test_a_call_repeated_with_the_same_objects_is_handed_back_whole(tmp_path: Path) -> None:
    renderer, drawn = counting_renderer(tmp_path, "{{ drawn(pid) }}{{ look.disclosure }}")
    settings, answers, two = Settings(disclosure="Ad."), [answer(), answer(MUG)], Options(title="2")
    first = renderer.products(answers, settings, BoxTemplate.BOX, two)
    again = renderer.products(answers, settings, BoxTemplate.BOX, two)
    assert again is first and drawn == [EARBUDS, MUG]
    # Equal but new objects give the same drawing; other settings or answers a new one.
    assert renderer.products([answer(), answer(MUG)], settings, BoxTemplate.BOX, two) == first
    assert drawn == [EARBUDS, MUG]
    other = renderer.products(answers, Settings(disclosure="Advert."), BoxTemplate.BOX, two)
    assert "Advert." in other and "Ad." not in other.replace("Advert.", "")
    refreshed = [replace(answers[0], fetched_at=FETCHED_AT + 60), answers[1]]
    renderer.products(refreshed, settings, BoxTemplate.BOX, two)
    assert drawn.count(EARBUDS) == 3  # the second settings, then the refresh


def test_kept_drawings_are_bounded_by_bytes_too(monkeypatch: pytest.MonkeyPatch) -> None:
    # A worker's memory must not grow with the site's catalog: drawing many products keeps
    # the boxes, whole calls and pages within their budgets (read when the renderer is made).
    budgets = {
        "MAX_FRAGMENT_BYTES": 12 << 10,
        "MAX_CALL_BYTES": 12 << 10,
        "MAX_PAGE_BYTES": 8 << 10,
    }
    for name, budget in budgets.items():
        monkeypatch.setattr(renderer_module, name, budget)
    # Counts no drawing here comes near: only the bytes bound what is kept.
    environment, many = make_environment(template_folder()), 1000
    renderer = Renderer(environment, max_fragments=many, max_calls=many, max_pages=many)
    answers = [answer(str(1005000000000000 + n)) for n in range(40)]  # over 1 kB drawn each
    pages = [renderer.page(Page.IFRAME, [one], SETTINGS, assets="/static") for one in answers]
    memories: dict[str, LRU[Any, Any]] = {
        "MAX_FRAGMENT_BYTES": renderer._fragments,
        "MAX_CALL_BYTES": renderer._calls,
        "MAX_PAGE_BYTES": renderer._pages,
    }
    for name, memory in memories.items():
        assert memory.bytes <= budgets[name], name
        assert 0 < len(memory) < len(answers), name
    # The latest page is still kept (handed back as is); the first was let go, drawn again.
    assert renderer.page(Page.IFRAME, answers[-1:], SETTINGS, assets="/static") is pages[-1]
    again = renderer.page(Page.IFRAME, answers[:1], SETTINGS, assets="/static")
    assert again == pages[0] and again is not pages[0]
