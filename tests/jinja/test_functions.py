"""``aliexpress(...)`` and ``|aliexpress_shortcodes`` in a Flask app that is not affsite's."""

from __future__ import annotations

import math
import re

import pytest
from flask import Flask, render_template_string
from markupsafe import Markup

from affsite.aliexpress.sandbox import Sandbox
from affsite.jinja import aliexpress, aliexpress_shortcodes
from affsite.settings import Settings

from .conftest import CountingCatalog

EARBUDS = "1005004757833857"
MUG = "33006951782"
HOSTILE_TITLE = "1005006188820412"  # "<script>alert(1)</script> Smart Watch ..."
DETAIL = "aliexpress.affiliate.productdetail.get"


def render(app: Flask, source: str, **context: object) -> str:
    with app.test_request_context():
        return render_template_string(source, **context)


# --- the global --------------------------------------------------------------------------------


def test_the_global_draws_a_box(app: Flask) -> None:
    page = render(app, '<main>{{ aliexpress("' + EARBUDS + '", template="compact") }}</main>')
    assert page.startswith('<main><div class="affsite affsite-compact')
    assert f'data-product-id="{EARBUDS}"' in page
    assert "&lt;div" not in page  # Markup, not escaped again


@pytest.mark.parametrize(
    "products",
    [f"{EARBUDS},{MUG}", [EARBUDS, MUG], [int(EARBUDS), MUG], f"{EARBUDS}, {MUG}"],
)
def test_several_products_in_one_call(app: Flask, asked: CountingCatalog, products: object) -> None:
    page = render(app, '{{ aliexpress(products, template="grid") }}', products=products)
    assert page.index(f'data-product-id="{EARBUDS}"') < page.index(f'data-product-id="{MUG}"')
    assert asked.calls == [[EARBUDS, MUG]]


def test_a_product_address_is_read_like_an_id(app: Flask) -> None:
    page = render(app, "{{ aliexpress(url) }}", url=f"https://www.aliexpress.com/item/{MUG}.html")
    assert f'data-product-id="{MUG}"' in page


def test_without_products_it_draws_a_search_or_hot_list(app: Flask, sandbox: Sandbox) -> None:
    page = render(app, '{{ aliexpress(search="usb", limit=2, template="grid") }}')
    assert page.startswith('<div class="affsite affsite-grid')
    assert page.count("data-product-id=") == 2
    hot = render(app, '{{ aliexpress(hot="usb", limit=3) }}')
    assert 1 <= hot.count("data-product-id=") <= 3
    hot_calls = [
        c for c in sandbox.calls_snapshot() if (c.method or "").endswith("hotproduct.query")
    ]
    assert len(hot_calls) == 1


def test_a_list_option_without_a_list_is_an_html_comment(app: Flask) -> None:
    assert render(app, "{{ aliexpress(limit=2) }}").startswith("<!-- affsite: ")
    page = render(app, "{{ aliexpress(id, limit=2) }}", id=EARBUDS)
    assert page.startswith("<!-- affsite: ") and "search or hot" in page


def test_options_are_the_shortcode_attributes(app: Flask) -> None:
    page = render(app, '{{ aliexpress(id, theme="dark", button="Buy <now>") }}', id=EARBUDS)
    assert "affsite-theme-dark" in page
    assert ">Buy &lt;now&gt;<" in page


def test_a_bad_option_or_id_is_an_html_comment_for_the_author(app: Flask) -> None:
    page = render(
        app,
        '{{ aliexpress(id, onclick="alert(1)") }}|{{ aliexpress("12") }}|'
        '{{ aliexpress(id, template="x\\" onmouseover=\\"alert(1)") }}',
        id=EARBUDS,
    )
    first, second, third = page.split("|")
    assert first.startswith(f'<!-- affsite: [aliexpress id="{EARBUDS}" onclick=')
    assert 'unknown attribute "onclick"' in first
    assert second.startswith("<!-- affsite:") and "12 is not a product id" in second
    assert third.startswith("<!-- affsite:") and third.endswith("-->")
    assert re.sub(r"<!--.*?-->", "", page) == "||"  # three comments and nothing else
    assert "data-product-id" not in page


def test_a_title_names_one_product_or_heads_several(app: Flask) -> None:
    one = render(app, '{{ aliexpress(id, template="list", title=t) }}', id=EARBUDS, t="<My pick>")
    assert '<h3 class="product-title" dir="auto">&lt;My pick&gt;</h3>' in one
    several = render(
        app, '{{ aliexpress(ids, template="grid", title="Two picks") }}', ids=[EARBUDS, MUG]
    )
    assert several.count("Two picks") == 1
    assert '<h3 class="affsite-heading" dir="auto">Two picks</h3>' in several
    assert several.count('<h4 class="product-title"') == 2  # their own titles, one level down
    table = render(
        app, '{{ aliexpress(ids, template="table", title="A & B") }}', ids=[EARBUDS, MUG]
    )
    assert '<caption dir="auto">A &amp; B</caption>' in table


def test_a_hostile_or_long_title_is_text_and_capped(app: Flask) -> None:
    hostile = '"><script>alert(1)</script>' + "x" * 300
    page = render(app, "{{ aliexpress(id, title=t) }}", id=EARBUDS, t=hostile)
    assert "<script" not in page and "&#34;&gt;&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "x" * 173 in page and "x" * 174 not in page  # 200 characters in all


def test_hostile_product_data_is_escaped(app: Flask) -> None:
    page = render(app, "{{ aliexpress(id) }}", id=HOSTILE_TITLE)
    assert "<script" not in page and "&lt;script&gt;" in page


def test_it_answers_markup_outside_templates_too(app: Flask) -> None:
    with app.app_context():
        drawn = aliexpress(EARBUDS)
    assert isinstance(drawn, Markup) and "data-product-id" in drawn


# --- the filter --------------------------------------------------------------------------------


def test_the_filter_escapes_plain_text_around_the_tags(app: Flask) -> None:
    body = f"<img src=x onerror=alert(1)> [aliexpress {EARBUDS}] & more"
    page = render(app, "<article>{{ body|aliexpress_shortcodes }}</article>", body=body)
    assert page.startswith('<article>&lt;img src=x onerror=alert(1)&gt; <div class="affsite')
    assert page.endswith("</div> &amp; more</article>")
    assert "<img src=x" not in page


def test_the_filter_keeps_markup_as_html(app: Flask) -> None:
    body = Markup("<p><em>Our pick</em></p>[aliexpress {}]").format(EARBUDS)
    page = render(app, "{{ body|aliexpress_shortcodes }}", body=body)
    assert page.startswith('<p><em>Our pick</em></p><div class="affsite')


def test_the_filter_answers_markup(app: Flask) -> None:
    with app.app_context():
        assert aliexpress_shortcodes("a < b") == Markup("a &lt; b")
        assert aliexpress_shortcodes(None) == Markup("")


def test_a_filter_block_asks_the_catalog_once_for_every_product_in_it(
    app: Flask, asked: CountingCatalog, sandbox: Sandbox
) -> None:
    products = sandbox.catalog.promotable_ids()[:60]
    source = (
        "{% filter aliexpress_shortcodes %}"
        "{% for i in range(100) %}<h2>{{ i }}</h2>[aliexpress {{ products[i % 60] }}]{% endfor %}"
        "{% endfilter %}"
    )
    page = render(app, source, products=products)
    assert page.count("data-product-id=") == 100
    assert page.count("<h2>") == 100  # the block is HTML: it stays HTML
    assert [len(ids) for ids in asked.calls] == [60]
    cold = sandbox.call_count(DETAIL)
    assert cold <= math.ceil(60 / Settings().batch_size)
    render(app, source, products=products)
    assert sandbox.call_count(DETAIL) == cold  # warm
