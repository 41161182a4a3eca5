"""``{% aliexpress … %}``: the template global as a tag, in a Flask app that is not affsite's."""

from __future__ import annotations

import pytest
from flask import Flask, render_template_string
from jinja2 import TemplateSyntaxError

from .conftest import CountingCatalog

EARBUDS = "1005004757833857"
MUG = "33006951782"
HOSTILE_TITLE = "1005006188820412"


def render(app: Flask, source: str, **context: object) -> str:
    with app.test_request_context():
        return render_template_string(source, **context)


def test_the_tag_draws_what_the_global_draws(app: Flask) -> None:
    tag = render(app, '{% aliexpress "' + EARBUDS + '" template="grid" theme="dark" %}')
    call = render(app, '{{ aliexpress(pid, template="grid", theme="dark") }}', pid=EARBUDS)
    assert tag == call
    assert tag.startswith('<div class="affsite affsite-grid affsite-theme-dark"')


@pytest.mark.parametrize(
    "source",
    [
        "{% aliexpress ids %}",
        "{% aliexpress ids, template='list' %}",
        "{% aliexpress ids template='list', theme='light' %}",
    ],
)
def test_expressions_and_optional_commas(app: Flask, asked: CountingCatalog, source: str) -> None:
    page = render(app, source, ids=[EARBUDS, MUG])
    assert f'data-product-id="{EARBUDS}"' in page and f'data-product-id="{MUG}"' in page
    assert asked.calls == [[EARBUDS, MUG]]


def test_a_list_tag_names_no_products(app: Flask) -> None:
    source = '{% aliexpress search="usb", limit=2, template="grid" %}'
    page = render(app, source)
    assert page == render(app, '{{ aliexpress(search="usb", limit=2, template="grid") }}')
    assert page.count("data-product-id=") == 2


def test_the_tag_output_is_escaped_markup(app: Flask) -> None:
    page = render(app, "<p>{% aliexpress pid %}</p>", pid=HOSTILE_TITLE)
    assert page.startswith('<p><div class="affsite')
    assert "<script" not in page and "&lt;script&gt;" in page


def test_option_values_never_reach_the_page_as_markup(app: Flask) -> None:
    page = render(app, "{% aliexpress pid button=t %}", pid=EARBUDS, t="<b>x</b>")
    assert "<b>" not in page and "&lt;b&gt;x&lt;/b&gt;" in page


def test_the_tag_takes_a_title_like_the_global(app: Flask) -> None:
    tag = render(
        app, "{% aliexpress ids, template='table', title=t %}", ids=[EARBUDS, MUG], t="<Both>"
    )
    call = render(
        app, "{{ aliexpress(ids, template='table', title=t) }}", ids=[EARBUDS, MUG], t="<Both>"
    )
    assert tag == call
    assert '<caption dir="auto">&lt;Both&gt;</caption>' in tag


@pytest.mark.parametrize(
    "source", ["{% aliexpress %}", "{% aliexpress 'x' template %}", "{% aliexpress 'x' 3=4 %}"]
)
def test_malformed_tags_are_template_syntax_errors(app: Flask, source: str) -> None:
    with pytest.raises(TemplateSyntaxError):
        render(app, source)
