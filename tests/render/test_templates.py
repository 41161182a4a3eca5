"""Every box template against the sandbox catalog: hostile titles, missing fields, non-Latin
and right-to-left text, products that are not promotable. Each drawing is read back with
``html.parser`` and checked element by element (``markup.check_safe``)."""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from affsite.catalog import ProductAnswer, Status
from affsite.render import (
    BoxField,
    BoxSettings,
    BoxTemplate,
    LinkTarget,
    Options,
    Renderer,
    Theme,
)
from affsite.render.environment import make_environment
from affsite.resources import template_folder
from affsite.settings import Settings

from .helpers import EARBUDS, answer
from .markup import Element, Parsed, check_safe, parse

SETTINGS = Settings()
ALL = list(BoxTemplate)
# Templates that show a product's title, image, and a price with when it was fetched.
WITH_TITLE = [t for t in BoxTemplate if t not in (BoxTemplate.BUTTON, BoxTemplate.FIELD)]
WITH_IMAGE = [BoxTemplate.BOX, BoxTemplate.GRID, BoxTemplate.LIST, BoxTemplate.TABLE]
WITH_PRICE = [*WITH_IMAGE, BoxTemplate.COMPACT, BoxTemplate.FIELD]
GO = "https://boxes.example/go/"

ITEM_CLASS = {
    BoxTemplate.BOX: "product-box",
    BoxTemplate.GRID: "product-card",
    BoxTemplate.LIST: "product-row",
    BoxTemplate.TABLE: "product-table-row",
    BoxTemplate.COMPACT: "product-line",
    BoxTemplate.BUTTON: "product-button",
    BoxTemplate.LINK: "product-link",
    BoxTemplate.FIELD: "product-field",
}


def items(html: str, template: BoxTemplate) -> dict[str, str]:
    """Each product's own markup, by id (split at the item elements)."""
    found: dict[str, str] = {}
    marker = f'class="{ITEM_CLASS[template]}'
    for chunk in html.split(marker)[1:]:
        pid = chunk.split('data-product-id="', 1)[1].split('"', 1)[0]
        found[pid] = chunk
    return found


def available(answers: list[ProductAnswer]) -> list[ProductAnswer]:
    return [a for a in answers if a.product is not None]


# --- everything, every way ---------------------------------------------------------------------


@pytest.mark.parametrize("theme", list(Theme))
@pytest.mark.parametrize("template", ALL)
def test_every_template_draws_the_sandbox_catalog_as_safe_markup(
    renderer: Renderer, sandbox_answers: list[ProductAnswer], template: BoxTemplate, theme: Theme
) -> None:
    html = renderer.products(sandbox_answers, SETTINGS, template, Options(theme=theme))
    parsed = check_safe(html)
    root = parsed.elements[0]
    assert root.tag == ("span" if template.inline else "div")
    assert root.attrs["class"] == f"affsite affsite-{template} affsite-theme-{theme}"
    assert root.attrs["dir"] == "ltr"
    assert "data-ids" not in root.attrs  # /embed.js leaves drawn roots alone
    drawn = items(html, template)
    assert list(drawn) == [a.id for a in sandbox_answers]


@pytest.mark.parametrize("template", ALL)
def test_links_go_through_our_go_route_when_asked(
    renderer: Renderer, sandbox_answers: list[ProductAnswer], template: BoxTemplate
) -> None:
    html = renderer.products(sandbox_answers, SETTINGS, template, Options(link_via=GO))
    parsed = check_safe(html, link_base=GO)
    hrefs = {e.attrs["href"] for e in parsed.elements if "href" in e.attrs}
    if template is not BoxTemplate.FIELD:
        assert {f"{GO}{a.id}" for a in available(sandbox_answers)} <= hrefs
    assert not [h for h in hrefs if "aliexpress" in h]  # unavailable show a message by default


@pytest.mark.parametrize("template", WITH_IMAGE + [BoxTemplate.COMPACT])
def test_boxes_for_other_sites_load_this_sites_pictures_from_its_address(
    renderer: Renderer, sandbox_answers: list[ProductAnswer], template: BoxTemplate
) -> None:
    # Demo mode: the sandbox's pictures are paths on this site, which a snippet pasted into
    # another site must name with this site's address.
    root = "https://boxes.example/shop"
    options = Options(link_via=f"{root}/go/", media_root=root)
    parsed = check_safe(
        renderer.products(sandbox_answers, SETTINGS, template, options),
        link_base=f"{root}/go/",
        media_root=root,
    )
    sources = [e.attrs["src"] for e in parsed.find("img")]
    assert sources and all(s.startswith(f"{root}/sandbox-media/") for s in sources)
    live = answer(image="https://ae01.alicdn.com/kf/a.jpg")
    html = renderer.products([live], SETTINGS, template, options)
    assert 'src="https://ae01.alicdn.com/kf/a.jpg"' in html


@pytest.mark.parametrize("template", WITH_TITLE)
def test_hostile_titles_are_text_and_never_markup(
    renderer: Renderer, sandbox_answers: list[ProductAnswer], template: BoxTemplate
) -> None:
    hostile = [a for a in sandbox_answers if a.product and "alert(" in (a.product.title or "")]
    assert len(hostile) == 4
    parsed = check_safe(renderer.products(hostile, SETTINGS, template))
    assert not parsed.find("script") and not parsed.find("img", src="x")
    for one in hostile:
        assert one.product is not None and one.product.title is not None
        shown = one.product.title if template is not BoxTemplate.LINK else one.product.title[:40]
        assert shown in parsed.text


@pytest.mark.parametrize("template", WITH_IMAGE + [BoxTemplate.COMPACT])
def test_images_have_alt_width_height_and_load_lazily(
    renderer: Renderer, sandbox_answers: list[ProductAnswer], template: BoxTemplate
) -> None:
    parsed = check_safe(renderer.products(sandbox_answers, SETTINGS, template))
    images = parsed.find("img")
    with_image = [a for a in sandbox_answers if a.product and a.product.image]
    assert len(images) == len(with_image) > 10
    for image, one in zip(images, with_image, strict=True):
        assert one.product is not None
        assert image.attrs["alt"] == one.product.title
        assert image.attrs["width"] == image.attrs["height"] and image.attrs["width"].isdigit()
        assert image.attrs["loading"] == "lazy"


@pytest.mark.parametrize("template", WITH_PRICE)
def test_every_price_says_when_it_was_fetched(
    renderer: Renderer, sandbox_answers: list[ProductAnswer], template: BoxTemplate
) -> None:
    html = renderer.products(sandbox_answers, SETTINGS, template)
    priced = 0
    for pid, chunk in items(html, template).items():
        item = parse_fragment(chunk)
        prices = item.with_class("product-price-now")
        times = item.find("time")
        assert len(times) == len(prices), pid
        for moment in times:
            assert moment.attrs["datetime"] == "2023-11-14T22:13:20Z"
        priced += len(prices)
    assert priced == len(available(sandbox_answers))


def parse_fragment(chunk: str) -> Parsed:
    # An item's chunk starts inside its start tag (after `class="…`); close that tag so the
    # rest parses, and keep only the elements (their nesting was checked on the whole).
    from .markup import _Reader

    reader = _Reader()
    reader.feed('<x class="' + chunk)
    return reader.parsed


@pytest.mark.parametrize("template", ALL)
def test_calls_to_action_are_sponsored_and_announce_a_new_tab(
    renderer: Renderer, template: BoxTemplate
) -> None:
    html = renderer.products([answer()], SETTINGS, template)
    parsed = check_safe(html)
    links = parsed.find("a")
    if template is BoxTemplate.FIELD:
        assert links == []
        return
    assert len(links) == 1
    assert links[0].attrs["target"] == "_blank"
    assert links[0].attrs["rel"] == "sponsored nofollow noopener"
    assert '<span class="visually-hidden"> (opens in a new tab)</span></a>' in html
    same_tab = renderer.products(
        [answer()], SETTINGS, template, Options(target=LinkTarget.SAME_TAB)
    )
    assert parse(same_tab).find("a")[0].attrs["target"] == "_top"
    assert "opens in a new tab" not in same_tab


@pytest.mark.parametrize(
    ("template", "where"),
    [
        (BoxTemplate.BOX, "item"),
        (BoxTemplate.GRID, "item"),
        (BoxTemplate.LIST, "item"),
        (BoxTemplate.BUTTON, "item"),
        (BoxTemplate.TABLE, "frame"),
        (BoxTemplate.COMPACT, "frame"),
    ],
)
def test_the_disclosure_sits_next_to_the_calls_to_action(
    renderer: Renderer, template: BoxTemplate, where: str
) -> None:
    look = Settings(disclosure="We earn from purchases <via links>.")
    html = renderer.products([answer(), answer("1005001")], look, template)
    check_safe(html)
    assert html.count("We earn from purchases &lt;via links&gt;.") == (2 if where == "item" else 1)
    for chunk in items(html, template).values():
        if where == "item":
            assert "product-cta" in chunk and "product-disclosure" in chunk
    link = renderer.products([answer()], look, BoxTemplate.LINK)
    assert '</a> <span class="product-disclosure">(affiliate link)</span>' in link


def test_the_table_has_a_caption_and_scoped_headers(
    renderer: Renderer, sandbox_answers: list[ProductAnswer]
) -> None:
    parsed = check_safe(renderer.products(sandbox_answers, SETTINGS, BoxTemplate.TABLE))
    assert [e.tag for e in parsed.elements].count("caption") == 1
    headers = parsed.find("th")
    columns = [h for h in headers if h.attrs.get("scope") == "col"]
    rows = [h for h in headers if h.attrs.get("scope") == "row"]
    assert len(columns) == 5 and len(rows) == len(sandbox_answers)
    assert len(headers) == len(columns) + len(rows)
    assert "Product comparison" in parsed.text


def test_products_with_missing_fields_draw_what_they_have(
    renderer: Renderer, sandbox_answers: list[ProductAnswer]
) -> None:
    speaker = next(
        a for a in sandbox_answers if a.product and a.product.title and "Minimal" in a.product.title
    )
    for template in ALL:
        parsed = check_safe(renderer.products([speaker], SETTINGS, template))
        assert not parsed.find("img") and not parsed.with_class("product-rating")
        assert not parsed.with_class("product-orders")
    box = renderer.products([speaker], SETTINGS, BoxTemplate.BOX)
    assert "$9.90" in box and "product-price-was" not in box


def test_a_product_without_title_price_or_links_is_still_a_box(renderer: Renderer) -> None:
    bare = answer(title=None, price=None, original_price=None, image=None, promotion_link=None)
    for template in ALL:
        html = renderer.products([bare], SETTINGS, template)
        check_safe(html)
        assert "product-price-now" not in html
    box = parse(renderer.products([bare], SETTINGS, BoxTemplate.BOX))
    assert f"AliExpress product {EARBUDS}" in box.text
    assert box.find("a")[0].attrs["href"] == f"https://www.aliexpress.com/item/{EARBUDS}.html"


def test_a_price_that_cannot_be_dated_is_not_shown(renderer: Renderer) -> None:
    undated = replace(answer(), fetched_at=None)
    for template in WITH_PRICE:
        html = renderer.products([undated], SETTINGS, template)
        assert "product-price-now" not in html and "<time" not in html


def test_rating_orders_and_discount_are_written_for_the_language(renderer: Renderer) -> None:
    rich = answer(rating_percent=Decimal("97.84"), orders=12345, discount_percent=Decimal("50"))
    english = parse(renderer.products([rich], SETTINGS, BoxTemplate.BOX))
    assert "97.8% positive" in english.text and "12,345 orders" in english.text
    assert "-50% discount" in english.text and "was $24.68" in english.text
    german = renderer.products([rich], Settings(language="DE"), BoxTemplate.BOX)
    assert "12.345 orders" in german and "12,34\xa0$" in german


# --- unavailable products -------------------------------------------------------------------


@pytest.mark.parametrize("template", ALL)
def test_unavailable_products_show_a_message_by_default(
    renderer: Renderer, sandbox_answers: list[ProductAnswer], template: BoxTemplate
) -> None:
    missing = [a for a in sandbox_answers if a.product is None]
    html = renderer.products(missing, SETTINGS, template)
    parsed = check_safe(html)
    assert not parsed.find("a") and not parsed.find("img")
    assert parsed.text.count("not available right now") == len(missing)


@pytest.mark.parametrize("template", ALL)
def test_unavailable_products_may_be_a_plain_link_without_a_price(
    renderer: Renderer, sandbox_answers: list[ProductAnswer], template: BoxTemplate
) -> None:
    missing = [a for a in sandbox_answers if a.product is None]
    look = Settings(unavailable_display="link")
    parsed = check_safe(renderer.products(missing, look, template))
    hrefs = [e.attrs["href"] for e in parsed.find("a")]
    assert hrefs == [f"https://www.aliexpress.com/item/{a.id}.html" for a in missing]
    assert "$" not in parsed.text and not parsed.find("time")
    # Through /go/, products AliExpress does not promote go there too (it knows them).
    via = check_safe(renderer.products(missing, look, template, Options(link_via=GO)), link_base=GO)
    assert [e.attrs["href"] for e in via.find("a")] == [f"{GO}{a.id}" for a in missing]


@pytest.mark.parametrize("template", ALL)
def test_unavailable_products_may_be_left_out(
    renderer: Renderer, sandbox_answers: list[ProductAnswer], template: BoxTemplate
) -> None:
    look = Settings(unavailable_display="hide")
    html = renderer.products(sandbox_answers, look, template)
    check_safe(html)
    assert list(items(html, template)) == [a.id for a in available(sandbox_answers)]
    missing = [a for a in sandbox_answers if a.product is None]
    assert renderer.products(missing, look, template) == ""


def test_a_failed_fetch_links_straight_to_the_product_page(renderer: Renderer) -> None:
    failed = ProductAnswer(id=EARBUDS, status=Status.FALLBACK)
    html = renderer.products(
        [failed], Settings(unavailable_display="link"), BoxTemplate.BOX, Options(link_via=GO)
    )
    assert f'href="https://www.aliexpress.com/item/{EARBUDS}.html"' in html


# --- right to left ---------------------------------------------------------------------------


@pytest.mark.parametrize("language", ["AR", "HE", "IW"])
@pytest.mark.parametrize("template", ALL)
def test_right_to_left_languages_draw_right_to_left(
    renderer: Renderer, sandbox_answers: list[ProductAnswer], template: BoxTemplate, language: str
) -> None:
    html = renderer.products(sandbox_answers, Settings(language=language), template)
    parsed = check_safe(html)
    assert parsed.elements[0].attrs["dir"] == "rtl"


@pytest.mark.parametrize("template", WITH_TITLE)
def test_titles_find_their_own_direction(
    renderer: Renderer, sandbox_answers: list[ProductAnswer], template: BoxTemplate
) -> None:
    rtl = [a for a in sandbox_answers if a.product and _is_rtl(a.product.title or "")]
    assert len(rtl) == 3
    parsed = check_safe(renderer.products(rtl, SETTINGS, template))
    titled = [e for e in parsed.elements if _holds_title(e, template)]
    assert len(titled) == 3 and all(e.attrs.get("dir") == "auto" for e in titled)


def _is_rtl(text: str) -> bool:
    return any("\u0590" <= ch <= "\u08ff" for ch in text)


def _holds_title(element: Element, template: BoxTemplate) -> bool:
    if template is BoxTemplate.LINK:
        return element.tag == "span" and element.attrs.get("dir") == "auto"
    return "product-title" in element.attrs.get("class", "")


# --- options ---------------------------------------------------------------------------------


def test_the_field_template_shows_the_price_or_the_title(renderer: Renderer) -> None:
    price = parse(renderer.products([answer()], SETTINGS, BoxTemplate.FIELD))
    assert "$12.34" in price.text and price.find("time")
    title = renderer.products(
        [answer(title="<i>Mug</i>")], SETTINGS, BoxTemplate.FIELD, Options(field=BoxField.TITLE)
    )
    assert "&lt;i&gt;Mug&lt;/i&gt;" in title and "$" not in title


def test_button_text_is_the_setting_or_the_option_and_always_text(renderer: Renderer) -> None:
    look = Settings(button_text="Check the price")
    assert ">Check the price<" in renderer.products([answer()], look, BoxTemplate.BUTTON)
    hostile = Options(button_text='<img src=x onerror=alert(1)>\u202e "Buy"')
    html = renderer.products([answer()], look, BoxTemplate.BUTTON, hostile)
    check_safe(html)
    assert "&lt;img src=x onerror=alert(1)&gt; &#34;Buy&#34;" in html
    assert "\u202e" not in html


@pytest.mark.parametrize("template", ALL)
def test_the_theme_is_the_setting_unless_the_options_name_one(
    renderer: Renderer, template: BoxTemplate
) -> None:
    dark = Settings(box_theme="dark")
    assert "affsite-theme-dark" in renderer.products([answer()], dark, template)
    chosen = renderer.products([answer()], dark, template, Options(theme=Theme.AUTO))
    assert "affsite-theme-auto" in chosen


def test_no_template_named_means_the_sites_default(renderer: Renderer) -> None:
    html = renderer.products([answer()], Settings(box_template="compact"))
    assert html.startswith('<div class="affsite affsite-compact ')


# --- arbitrary titles ------------------------------------------------------------------------

_plain = Renderer(make_environment(template_folder()))


def _shape(html: str) -> list[tuple[str, tuple[str, ...]]]:
    return [(e.tag, tuple(sorted(e.attrs))) for e in check_safe(html).elements]


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(title=st.text(min_size=1, max_size=120))
def test_no_title_ever_becomes_markup(title: str) -> None:
    drawn = answer(title=title)
    for template in ALL:
        html = _plain.products([drawn], SETTINGS, template)
        plain = _plain.products([answer(title="Plain title")], SETTINGS, template)
        # The same elements with the same attributes as for a harmless title: the title
        # only ever changes text.
        assert _shape(html) == _shape(plain), template


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(text=st.text(min_size=1, max_size=80))
def test_no_button_text_or_disclosure_ever_becomes_markup(text: str) -> None:
    look = BoxSettings(language="EN", disclosure=text, button_text=text)
    plain = BoxSettings(language="EN", disclosure="Ad.", button_text="Buy")
    for template in ALL:
        drawn = _plain.products([answer()], look, template, Options(button_text=text))
        assert _shape(drawn) == _shape(_plain.products([answer()], plain, template)), template
