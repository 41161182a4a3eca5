"""schema.org Product data: only when the site turns it on, only while the price is fresh,
and never a way out of its ``<script>`` element."""

from __future__ import annotations

import json
from decimal import Decimal

import pytest

from affsite.aliexpress import Money
from affsite.catalog import ProductAnswer, Reason, Status
from affsite.render import BoxTemplate, Renderer
from affsite.render.structured import product_json_ld, script_json
from affsite.settings import Settings

from .conftest import SandboxShop
from .helpers import answer
from .markup import check_safe

ON = Settings(json_ld=True)
BLOCKS = [BoxTemplate.BOX, BoxTemplate.GRID, BoxTemplate.LIST, BoxTemplate.TABLE,
          BoxTemplate.COMPACT]  # fmt: skip
BREAKOUT = '</script><script>alert(1)</script><!-- & "quotes" \u2028'


def json_ld(html: str) -> list[dict[str, object]]:
    return [json.loads(script) for script in check_safe(html).scripts]


def test_off_unless_the_site_turns_it_on(renderer: Renderer) -> None:
    assert json_ld(renderer.products([answer()], Settings())) == []


@pytest.mark.parametrize("template", BLOCKS)
def test_a_fresh_price_carries_name_and_offer(renderer: Renderer, template: BoxTemplate) -> None:
    for status in (Status.HIT, Status.MISS):
        data = json_ld(renderer.products([answer(status=status)], ON, template))
        assert data == [
            {
                "@context": "https://schema.org",
                "@type": "Product",
                "name": "Wireless Earbuds",
                "image": "https://ae01.alicdn.com/kf/1005004757833857.jpg",
                "offers": {
                    "@type": "Offer",
                    "price": "12.34",
                    "priceCurrency": "USD",
                    "availability": "https://schema.org/InStock",
                },
            }
        ]


@pytest.mark.parametrize("template", list(BoxTemplate))
def test_never_for_a_stale_price_an_unavailable_product_or_inline_templates(
    renderer: Renderer, template: BoxTemplate
) -> None:
    stale = answer(status=Status.STALE)
    gone = ProductAnswer(id="33006951782", status=Status.NEGATIVE, reason=Reason.NOT_PROMOTABLE)
    assert json_ld(renderer.products([stale, gone], ON, template)) == []
    if template.inline:
        assert json_ld(renderer.products([answer()], ON, template)) == []


def test_no_price_or_no_title_means_no_product_data(renderer: Renderer) -> None:
    for odd in (
        answer(price=None),
        answer(title=None),
        answer(price=Money(Decimal("1e26"), "USD")),
    ):
        assert json_ld(renderer.products([odd], ON)) == []


@pytest.mark.parametrize("template", BLOCKS)
def test_a_hostile_title_stays_inside_its_script(renderer: Renderer, template: BoxTemplate) -> None:
    html = renderer.products([answer(title=BREAKOUT)], ON, template)
    parsed = check_safe(html)  # one JSON-LD script, no other
    assert len(parsed.scripts) == 1
    assert html.count("</script>") == 1 and "<!--" not in html
    assert json.loads(parsed.scripts[0])["name"] == BREAKOUT


def test_script_json_escapes_what_could_end_a_script() -> None:
    text = script_json({"name": BREAKOUT})
    assert not set(text) & {"<", ">", "&", "\u2028"}
    assert json.loads(text) == {"name": BREAKOUT}
    with pytest.raises(ValueError):
        script_json({"price": float("nan")})


def test_only_https_images_are_named() -> None:
    price = Money(Decimal("1.50"), "EUR")
    assert "image" not in str(product_json_ld(name="x", price=price, image="/sandbox-media/a.svg"))
    assert '"price": "1.50"' in product_json_ld(name="x", price=price)


def test_through_the_catalog_only_while_fresh(renderer: Renderer, shop: SandboxShop) -> None:
    pid = shop.products.tagged_ids("demo")[0]
    fetched = shop.answers([pid])
    assert fetched[0].status is Status.MISS
    assert len(json_ld(renderer.products(fetched, ON))) == 1
    assert len(json_ld(renderer.products(shop.answers([pid]), ON))) == 1  # HIT
    # Two days on, AliExpress failing: the box keeps its dated price, the data goes.
    shop.clock.advance(2 * 86_400)
    shop.sandbox.inject("server_error", status=502)
    stale = shop.answers([pid])
    assert stale[0].status is Status.STALE
    html = renderer.products(stale, ON)
    assert json_ld(html) == [] and "it may have changed" in html
