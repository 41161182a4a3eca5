"""A caller's title in every template (one product's title, or the heading of several), and
every value the field template shows, for ordinary, missing, hostile and right-to-left data.
Each drawing is read back with ``html.parser`` and checked (``markup.check_safe``)."""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal
from typing import Any

import pytest

from affsite.catalog import ProductAnswer
from affsite.render import BoxField, BoxTemplate, Heading, Options, Page, Renderer
from affsite.render.choices import MAX_TITLE
from affsite.settings import Settings

from .helpers import EARBUDS, MUG, answer
from .markup import check_safe, parse

SETTINGS = Settings()
HOSTILE = '</h3><script>alert(1)</script><img src=x onerror=alert(1)> "Best" & co'
# Templates that show a product's title (the field template only with field=title).
WITH_TITLE = [t for t in BoxTemplate if t not in (BoxTemplate.BUTTON, BoxTemplate.FIELD)]
BLOCKS = [t for t in BoxTemplate if not t.inline]


def titled(title: str, **more: object) -> Options:
    return Options(title=title, **more)  # type: ignore[arg-type]


# --- one product: the caller's title is the product's -----------------------------------------


@pytest.mark.parametrize("template", [*WITH_TITLE, BoxTemplate.FIELD])
def test_one_products_title_is_replaced_wherever_it_is_shown(
    renderer: Renderer, template: BoxTemplate
) -> None:
    html = renderer.products([answer()], SETTINGS, template, titled(HOSTILE, field=BoxField.TITLE))
    parsed = check_safe(html)
    assert not parsed.find("script") and not parsed.find("img", src="x")
    assert HOSTILE in parsed.text
    assert "Wireless Earbuds" not in html  # not in text, nor in an image's alt
    assert not parsed.with_class("affsite-heading")  # one product: no block heading
    for image in parsed.find("img"):
        assert image.attrs["alt"] == HOSTILE


def test_a_button_shows_no_title_so_a_title_changes_nothing_visible(renderer: Renderer) -> None:
    plain = renderer.products([answer()], SETTINGS, BoxTemplate.BUTTON)
    assert renderer.products([answer()], SETTINGS, BoxTemplate.BUTTON, titled("Mine")) == plain


def test_a_link_shows_the_callers_title_whole_and_the_products_cut(renderer: Renderer) -> None:
    long_title = "word " * 30
    own = parse(renderer.products([answer()], SETTINGS, BoxTemplate.LINK, titled(long_title)))
    assert long_title.strip() in own.text
    products = parse(renderer.products([answer(title=long_title)], SETTINGS, BoxTemplate.LINK))
    assert long_title.strip() not in products.text and "..." in products.text


def test_a_title_is_one_line_of_at_most_the_cap(renderer: Renderer) -> None:
    html = renderer.products([answer()], SETTINGS, BoxTemplate.BOX, titled("y" * 500 + "\u202e"))
    shown = parse(html).text
    assert "y" * MAX_TITLE in shown and "y" * (MAX_TITLE + 1) not in shown
    assert "\u202e" not in html
    # Nothing left once cleaned is no title at all.
    assert Options(title=" \n\u200b ").title is None


def test_an_embed_page_is_named_by_the_callers_title(renderer: Renderer) -> None:
    page = renderer.page(Page.IFRAME, [answer()], SETTINGS, assets="/s", options=titled("<Mine>"))
    assert "<title>&lt;Mine&gt;" in page
    several = renderer.page(
        Page.IFRAME, [answer(), answer(MUG)], SETTINGS, assets="/s", options=titled("Both")
    )
    assert "<title>Both" in several


# --- several products: the caller's title heads the block ---------------------------------------


@pytest.mark.parametrize("template", BLOCKS)
def test_several_products_get_one_heading_never_one_each(
    renderer: Renderer, template: BoxTemplate
) -> None:
    two = [answer(), answer(MUG, title="Mug")]
    html = renderer.products(two, SETTINGS, template, titled(HOSTILE, heading=Heading.H2))
    parsed = check_safe(html)
    assert parsed.text.count(HOSTILE) == 1
    assert "Wireless Earbuds" in parsed.text and "Mug" in parsed.text  # their own titles
    if template is BoxTemplate.TABLE:
        [caption] = parsed.find("caption")
        assert caption.attrs == {"dir": "auto"} and "Product comparison" not in parsed.text
        assert not parsed.with_class("affsite-heading")
    else:
        [heading] = parsed.with_class("affsite-heading")
        assert (heading.tag, heading.attrs["dir"]) == ("h2", "auto")
        assert html.index("affsite-heading") < html.index(f'data-product-id="{EARBUDS}"')
        # The products' own titles sit one level below the block's heading.
        assert all(e.tag in ("h3", "span") for e in parsed.with_class("product-title"))


@pytest.mark.parametrize("template", [BoxTemplate.LINK, BoxTemplate.BUTTON])
def test_inline_templates_have_no_heading_for_several(
    renderer: Renderer, template: BoxTemplate
) -> None:
    two = [answer(), answer(MUG)]
    html = renderer.products(two, SETTINGS, template, titled("Both of them"))
    assert "Both of them" not in html
    assert html == renderer.products(two, SETTINGS, template)


def test_one_and_several_products_with_one_title_are_drawn_apart(renderer: Renderer) -> None:
    options = titled("Picks")
    one = renderer.products([answer()], SETTINGS, BoxTemplate.GRID, options)
    several = renderer.products([answer(), answer(MUG)], SETTINGS, BoxTemplate.GRID, options)
    again = renderer.products([answer()], SETTINGS, BoxTemplate.GRID, options)
    assert "affsite-heading" not in one and "affsite-heading" in several
    assert again == one
    # The products of a titled block are the same drawings as under an h4 without a title.
    plain = renderer.products(
        [answer(), answer(MUG)], SETTINGS, BoxTemplate.GRID, Options(heading=Heading.H4)
    )
    assert several.split("</h3>\n", 1)[1] == plain.split("\n", 1)[1]


# --- the field template ---------------------------------------------------------------------

RICH: dict[str, Any] = {
    "rating_percent": Decimal("96"),
    "orders": 12345,
    "discount_percent": Decimal("50"),
}


def field(renderer: Renderer, shown: BoxField, one: ProductAnswer, language: str = "EN") -> str:
    look = Settings(language=language)
    return renderer.products([one], look, BoxTemplate.FIELD, Options(field=shown))


@pytest.mark.parametrize(
    ("shown", "text"),
    [
        (BoxField.PRICE, "$12.34 (as of 14 Nov 2023, 22:13 UTC)"),
        (BoxField.TITLE, "Wireless Earbuds"),
        (BoxField.DISCOUNT, "50%"),
        (BoxField.RATING, "★ 4.8 out of 5"),
        (BoxField.ORDERS, "12,345"),
    ],
)
def test_each_field_shows_its_value_inline(renderer: Renderer, shown: BoxField, text: str) -> None:
    html = field(renderer, shown, answer(**RICH))
    parsed = check_safe(html)
    assert parsed.elements[0].tag == "span" and parsed.text == text
    assert all(e.tag in ("span", "time") for e in parsed.elements)  # fits in a sentence
    assert bool(parsed.find("time")) == (shown is BoxField.PRICE)


def test_the_rating_reads_out_of_five_and_the_star_is_decoration(renderer: Renderer) -> None:
    parsed = check_safe(field(renderer, BoxField.RATING, answer(**RICH)))
    [star] = parsed.with_class("product-star")
    assert star.attrs["aria-hidden"] == "true"
    assert parsed.text.replace("★", "").strip() == "4.8 out of 5"


@pytest.mark.parametrize(
    ("shown", "missing"),
    [
        (BoxField.PRICE, {"price": None}),
        (BoxField.DISCOUNT, {"discount_percent": None}),
        (BoxField.DISCOUNT, {"original_price": None}),  # no struck-through price to come off
        (BoxField.RATING, {"rating_percent": None}),
        (BoxField.RATING, {"rating_percent": Decimal("0")}),  # no one rated it yet
        (BoxField.ORDERS, {"orders": None}),
        (BoxField.ORDERS, {"orders": -1}),
    ],
)
def test_a_missing_value_draws_nothing(
    renderer: Renderer, shown: BoxField, missing: dict[str, Any]
) -> None:
    assert field(renderer, shown, answer(**{**RICH, **missing})) == ""


def test_an_undated_price_or_discount_draws_nothing(renderer: Renderer) -> None:
    undated = replace(answer(**RICH), fetched_at=None)
    assert field(renderer, BoxField.PRICE, undated) == ""
    assert field(renderer, BoxField.DISCOUNT, undated) == ""


def test_hostile_values_never_become_markup(renderer: Renderer) -> None:
    hostile = answer(title=HOSTILE, rating_percent="<b>99</b>", orders="<i>5</i>")
    for shown in BoxField:
        html = field(renderer, shown, hostile)
        if html:
            parsed = check_safe(html)
            assert not parsed.find("script") and not parsed.find("b") and not parsed.find("i")
    assert HOSTILE in parse(field(renderer, BoxField.TITLE, hostile)).text
    assert field(renderer, BoxField.RATING, hostile) == ""
    assert field(renderer, BoxField.ORDERS, hostile) == ""


@pytest.mark.parametrize(
    ("language", "values"),
    [
        ("AR", {BoxField.DISCOUNT: "50%", BoxField.RATING: "★ 4.8 out of 5"}),
        ("HE", {BoxField.ORDERS: "12,345", BoxField.RATING: "★ 4.8 out of 5"}),
        ("TR", {BoxField.DISCOUNT: "%50", BoxField.ORDERS: "12.345"}),
        ("DE", {BoxField.DISCOUNT: "50\xa0%", BoxField.RATING: "★ 4,8 out of 5"}),
    ],
)
def test_values_are_written_for_the_language_and_direction(
    renderer: Renderer, language: str, values: dict[BoxField, str]
) -> None:
    for shown, text in values.items():
        parsed = check_safe(field(renderer, shown, answer(**RICH), language))
        assert parsed.text == text
        assert parsed.elements[0].attrs["dir"] == ("ltr" if language in ("TR", "DE") else "rtl")
