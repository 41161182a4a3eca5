"""Proof (issue 11): a 100-shortcode article over 60 distinct products costs at most
ceil(60 / batch size) gateway calls cold and none warm, counted on the sandbox gateway behind
a real catalog, disk cache and renderer.

The article mixes what authors write: prose, single boxes, grids of two or three products,
inline links with and without their own text, and inline fields (price, title, discount,
rating, orders), each product named several times.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from pathlib import Path

import pytest

from affsite.aliexpress.sandbox import Sandbox
from affsite.cache import open_stores
from affsite.catalog import Catalog, Purpose, client_factory
from affsite.clock import FakeClock
from affsite.render import Renderer
from affsite.render.environment import make_environment
from affsite.resources import template_folder
from affsite.settings import Settings
from affsite.shortcodes import plan
from affsite.shortcodes.site import expand_text

DETAIL = "aliexpress.affiliate.productdetail.get"
SETTINGS = Settings(rate_limit=1000.0)


def article(ids: list[str], tags: int = 100) -> str:
    """``tags`` shortcodes over ``ids`` in paragraphs of prose, every id named at least once."""
    count = len(ids)
    parts = ["<h1>Our picks</h1>\n"]
    for i in range(tags):
        one, two, three = ids[i % count], ids[(i + 7) % count], ids[(i + 13) % count]
        parts.append(
            [
                f'<p>First, a look at this one.</p>\n[aliexpress id="{one}"]\n',
                f"<p>Compare [aliexpress_link {one}]these[/aliexpress_link] with others.</p>\n",
                f'[aliexpress ids="{one},{two},{three}" template=grid title="Side by side"]\n',
                f"<p>It costs [aliexpress_field id={one} field=price] right now.</p>\n",
                f"<p>Buyers rate it [aliexpress_field id={one} field=rating].</p>\n",
                f'[aliexpress {one} template=compact button="See it"]\n',
                f"<p>[aliexpress_link id={one}][/aliexpress_link] ships fast.</p>\n",
                f"<p>[aliexpress_field {one} field=orders] orders so far.</p>\n",
                f'[aliexpress ids="{one},{two}" template=table]\n',
                f"<p>Now [aliexpress_field {one} field=discount] off.</p>\n",
                f'<p>Also: [aliexpress_field id="{one}" field=title].</p>\n',
            ][i % 11]
        )
    return "".join(parts)


@pytest.fixture
def sandbox(clock: FakeClock) -> Sandbox:
    return Sandbox(clock=clock, tracking_ids=("default",))


@pytest.fixture
def catalog(tmp_path: Path, sandbox: Sandbox, clock: FakeClock) -> Iterator[Catalog]:
    made = Catalog(
        settings=lambda: SETTINGS,
        stores=open_stores(tmp_path / "cache"),
        client_factory=client_factory(sandbox.transport()),
        clock=clock,
        sleep=clock.sleep,
    )
    yield made
    made.close()


def test_a_100_tag_article_over_60_products_costs_a_batch_of_calls_cold_and_none_warm(
    catalog: Catalog, sandbox: Sandbox
) -> None:
    complete = set(sandbox.catalog.missing_field_ids())
    ids = [pid for pid in sandbox.catalog.promotable_ids() if pid not in complete][:60]
    text = article(ids)
    assert sum(not isinstance(piece, str) for piece in plan(text).pieces) == 100
    renderer = Renderer(make_environment(template_folder()))

    cold = expand_text(text, catalog, renderer, purpose=Purpose.PAGE)
    cold_calls = sandbox.call_count(DETAIL)
    assert sorted(answer.id for answer in cold.answers) == sorted(ids)  # 60, each once
    assert cold_calls <= math.ceil(60 / SETTINGS.batch_size)
    assert sandbox.call_count() == cold_calls  # nothing but product details

    warm = expand_text(text, catalog, renderer, purpose=Purpose.PAGE)
    assert sandbox.call_count() == cold_calls  # warm: not one call
    assert warm.html == cold.html
    # Only fields the product has no value for are comments; every other tag is drawn.
    assert all("has no" in problem.reason for problem in warm.problems)
    unshown = {pid for pid in ids if f'data-product-id="{pid}"' not in warm.html}
    assert all(any(pid in problem.source for problem in warm.problems) for pid in unshown)
    assert warm.html.count("<!-- affsite:") == len(warm.problems) <= 10
