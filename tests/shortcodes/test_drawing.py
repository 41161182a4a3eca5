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
    ],
)
def test_each_tag_is_drawn_with_its_template_and_options(
    request_: ProductRequest, template: BoxTemplate | None, options: Options
) -> None:
    assert drawing_choices(request_) == (template, options)


def test_the_page_chooses_heading_and_where_links_go() -> None:
    _, options = drawing_choices(ProductsTag(ids=(EARBUDS,)), link_via="/go/", heading=Heading.H2)
    assert (options.link_via, options.heading) == ("/go/", Heading.H2)


def test_a_field_the_renderer_cannot_draw_is_refused() -> None:
    missing = [f for f in Field if f.value not in {b.value for b in BoxField}]
    if not missing:
        pytest.skip("the renderer draws every field")
    with pytest.raises(Refusal, match="cannot be shown yet"):
        drawing_choices(FieldTag(id=EARBUDS, field=missing[0]))


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
