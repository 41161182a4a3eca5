"""The renderer as ``draw``: which template and options each tag is drawn with, and one real
drawing of hostile attributes through the real templates."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal

import pytest

from affsite.aliexpress import Money, Product
from affsite.catalog import ProductAnswer, Status
from affsite.render import BoxSettings, Renderer
from affsite.render.choices import BoxField, BoxTemplate, Heading, Options, Theme
from affsite.render.environment import make_environment
from affsite.resources import template_folder
from affsite.settings import Settings
from affsite.shortcodes import (
    Field,
    FieldTag,
    LinkTag,
    Look,
    ProductRequest,
    ProductsTag,
    Refusal,
    drawing_choices,
    expand,
    renderer_draw,
)

from .helpers import EARBUDS, MUG, read_html

SETTINGS = BoxSettings(language="EN", disclosure="We earn from qualifying purchases.")


@dataclass
class FakeRenderer:
    calls: list[tuple[list[str], BoxTemplate | None, Options]] = field(default_factory=list)

    def products(
        self,
        answers: Sequence[ProductAnswer],
        settings: Settings | BoxSettings,
        template: BoxTemplate | None = None,
        options: Options = Options(),  # noqa: B008 (frozen)
    ) -> str:
        self.calls.append(([a.id for a in answers], template, options))
        return "<drawn>"


@pytest.mark.parametrize(
    ("request_", "template", "options"),
    [
        (ProductsTag(ids=(EARBUDS,)), None, Options()),
        (
            ProductsTag(
                ids=(EARBUDS, MUG),
                look=Look(template=BoxTemplate.GRID, theme=Theme.DARK, button="Get it"),
            ),
            BoxTemplate.GRID,
            Options(theme=Theme.DARK, button_text="Get it"),
        ),
        (LinkTag(id=EARBUDS), BoxTemplate.LINK, Options()),
        (
            LinkTag(id=EARBUDS, look=Look(template=BoxTemplate.BUTTON)),
            BoxTemplate.BUTTON,
            Options(),
        ),
        (
            FieldTag(id=EARBUDS, field=Field.TITLE),
            BoxTemplate.FIELD,
            Options(field=BoxField.TITLE),
        ),
        *[
            (FieldTag(id=EARBUDS, field=shown), BoxTemplate.FIELD, Options(field=shown))
            for shown in (Field.DISCOUNT, Field.RATING, Field.ORDERS)
        ],
        # The title: one product's, the heading of several, a link's text ...
        (
            ProductsTag(ids=(EARBUDS,), look=Look(title="Mine")),
            None,
            Options(title="Mine"),
        ),
        (
            ProductsTag(ids=(EARBUDS, MUG), look=Look(template=BoxTemplate.TABLE, title="Both")),
            BoxTemplate.TABLE,
            Options(title="Both"),
        ),
        (LinkTag(id=EARBUDS, text="these"), BoxTemplate.LINK, Options(title="these")),
        # ... and a button's text when the link is a button without button="…".
        (
            LinkTag(id=EARBUDS, text="Get it", look=Look(template=BoxTemplate.BUTTON)),
            BoxTemplate.BUTTON,
            Options(title="Get it", button_text="Get it"),
        ),
        (
            LinkTag(id=EARBUDS, text="x", look=Look(template=BoxTemplate.BUTTON, button="Buy")),
            BoxTemplate.BUTTON,
            Options(title="x", button_text="Buy"),
        ),
    ],
)
def test_each_tag_is_drawn_with_its_template_and_options(
    request_: ProductRequest, template: BoxTemplate | None, options: Options
) -> None:
    assert drawing_choices(request_) == (template, options)


def test_the_page_chooses_heading_and_where_links_go() -> None:
    _, options = drawing_choices(ProductsTag(ids=(EARBUDS,)), link_via="/go/", heading=Heading.H2)
    assert (options.link_via, options.heading) == ("/go/", Heading.H2)


@pytest.mark.parametrize("template", [BoxTemplate.LINK, BoxTemplate.BUTTON])
def test_a_title_for_several_products_drawn_inline_is_refused(template: BoxTemplate) -> None:
    request = ProductsTag(ids=(EARBUDS, MUG), look=Look(template=template, title="Both"))
    with pytest.raises(Refusal, match=f"which the {template.value} template cannot show"):
        drawing_choices(request)
    one = ProductsTag(ids=(EARBUDS,), look=Look(template=template, title="One"))
    assert drawing_choices(one)[1].title == "One"


def test_renderer_draw_passes_answers_in_the_tags_order() -> None:
    renderer = FakeRenderer()
    draw = renderer_draw(renderer, SETTINGS)
    answers = [ProductAnswer(id=pid, status=Status.HIT) for pid in (MUG, EARBUDS)]
    assert draw(ProductsTag(ids=(MUG, EARBUDS)), answers) == "<drawn>"
    assert renderer.calls == [([MUG, EARBUDS], None, Options())]


def test_hostile_attributes_through_the_real_templates_stay_text() -> None:
    renderer = Renderer(make_environment(template_folder()))
    hostile = '"><img src=x onerror=alert(1)>'
    text = (
        f"<p>[aliexpress {EARBUDS} theme=dark button='{hostile}' title='{hostile}']</p>"
        f"<p>[aliexpress_link {EARBUDS}]{hostile}[/aliexpress_link]</p>"
        f"<p>[aliexpress_field {EARBUDS} field=price]</p>"
    )
    product = Product(
        id=EARBUDS,
        title=hostile,
        detail_url=f"https://www.aliexpress.com/item/{EARBUDS}.html",
        image=f"https://ae01.alicdn.com/kf/{EARBUDS}.jpg",
        price=Money(Decimal("12.34"), "USD"),
        promotion_link="https://s.click.aliexpress.com/e/_DDVNpw0U",
    )
    answers = {
        EARBUDS: ProductAnswer(
            id=EARBUDS, status=Status.HIT, product=product, fetched_at=1_700_000_000.0
        )
    }
    expanded = expand(text, lambda ids: answers, renderer_draw(renderer, SETTINGS))
    assert expanded.problems == ()
    read = read_html(expanded.html)
    assert read.comments == []
    assert ("p", {}) in read.tags
    for tag, attrs in read.tags:
        assert not (tag == "img" and attrs.get("src") == "x"), expanded.html
        assert not any(name.startswith("on") for name in attrs), (tag, attrs)
    assert hostile in "".join(read.text)  # shown, as text


def _answer(**fields: object) -> ProductAnswer:
    values: dict[str, object] = {
        "id": EARBUDS,
        "title": "Wireless Earbuds",
        "promotion_link": "https://s.click.aliexpress.com/e/_DDVNpw0U",
        "price": Money(Decimal("12.34"), "USD"),
        "original_price": Money(Decimal("24.68"), "USD"),
        "discount_percent": Decimal("50"),
        "rating_percent": Decimal("96"),
        "orders": 1234,
        **fields,
    }
    product = Product(**values)  # type: ignore[arg-type]
    return ProductAnswer(id=EARBUDS, status=Status.HIT, product=product, fetched_at=1_700_000_000.0)


def _expand(text: str, answer: ProductAnswer) -> tuple[str, list[str]]:
    renderer = Renderer(make_environment(template_folder()))
    expanded = expand(text, lambda ids: {EARBUDS: answer}, renderer_draw(renderer, SETTINGS))
    return expanded.html, [problem.reason for problem in expanded.problems]


def test_each_field_is_drawn_inline_in_the_authors_sentence() -> None:
    text = (
        f"<p>Rated [aliexpress_field {EARBUDS} field=rating] by [aliexpress_field {EARBUDS} "
        f"field=orders] buyers, [aliexpress_field {EARBUDS} field=discount] off.</p>"
    )
    html, problems = _expand(text, _answer())
    assert problems == []
    assert "".join(read_html(html).text) == "Rated ★ 4.8 out of 5 by 1,234 buyers, 50% off."


def test_a_missing_value_is_nothing_for_the_visitor_and_a_comment_for_the_author() -> None:
    html, problems = _expand(
        f"<p>Rated [aliexpress_field {EARBUDS} field=rating].</p>", _answer(rating_percent=None)
    )
    assert problems == [f"product {EARBUDS} has no rating to show right now"]
    read = read_html(html)
    assert "".join(read.text) == "Rated ."
    assert read.comments == [
        f" affsite: [aliexpress_field {EARBUDS} field=rating] product {EARBUDS} has no rating "
        "to show right now "
    ]


def test_a_title_attribute_is_the_products_title_or_the_blocks_heading() -> None:
    html, _ = _expand(f'[aliexpress {EARBUDS} template=list title="My <pick>"]', _answer())
    assert '<h3 class="product-title" dir="auto">My &lt;pick&gt;</h3>' in html
    assert "Wireless Earbuds" not in html
    link, _ = _expand(f"[aliexpress_link {EARBUDS}]these[/aliexpress_link]", _answer())
    assert '<span dir="auto">these</span>' in link
    button, _ = _expand(
        f"[aliexpress_link {EARBUDS} template=button]Get it[/aliexpress_link]", _answer()
    )
    assert ">Get it<" in button
