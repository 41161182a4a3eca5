"""A text expanded for the site: one catalog request, the site's settings, the catalog's
follower closed after use; and the problems ``--check`` reports, found without the catalog."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import pytest

from affsite.aliexpress.sandbox import Sandbox
from affsite.cache import open_stores
from affsite.catalog import Catalog, ProductAnswer, Purpose, Status, client_factory
from affsite.clock import FakeClock
from affsite.render import Renderer
from affsite.render.environment import make_environment
from affsite.resources import template_folder
from affsite.settings import Settings
from affsite.shortcodes import LIST_FOUND_NOTHING
from affsite.shortcodes.site import expand_tag_for_site, expand_text, find_problems

from .helpers import EARBUDS, MUG, SHORT, FakeFollower

RENDERER = Renderer(make_environment(template_folder()))


@pytest.fixture
def sandbox(clock: FakeClock) -> Sandbox:
    return Sandbox(clock=clock, tracking_ids=("default",))


@pytest.fixture
def catalog(tmp_path: Path, sandbox: Sandbox, clock: FakeClock) -> Iterator[Catalog]:
    made = Catalog(
        settings=lambda: Settings(box_template="compact"),
        stores=open_stores(tmp_path / "cache"),
        client_factory=client_factory(sandbox.transport()),
        short_links=lambda _cache: FOLLOWER,
        clock=clock,
        sleep=clock.sleep,
    )
    yield made
    made.close()


class ClosingFollower(FakeFollower):
    closed = 0

    def close(self) -> None:
        self.closed += 1


FOLLOWER: Any = ClosingFollower()


@pytest.fixture
def asked(catalog: Catalog, monkeypatch: pytest.MonkeyPatch) -> list[tuple[list[str], Purpose]]:
    calls: list[tuple[list[str], Purpose]] = []
    real = catalog.products

    def counted(ids: Sequence[str], *, purpose: Purpose, **kwargs: Any) -> list[ProductAnswer]:
        calls.append((list(ids), purpose))
        return real(ids, purpose=purpose, **kwargs)

    monkeypatch.setattr(catalog, "products", counted)
    return calls


def test_one_request_for_every_product_with_the_callers_purpose(
    catalog: Catalog, asked: list[tuple[list[str], Purpose]], sandbox: Sandbox
) -> None:
    mug = sandbox.catalog.promotable_ids()[1]
    text = f"<p>a</p>[aliexpress {EARBUDS}] [aliexpress ids='{mug},{EARBUDS}'] [aliexpress {mug}]"
    expanded = expand_text(text, catalog, RENDERER, purpose=Purpose.CLI)
    assert asked == [([EARBUDS, mug], Purpose.CLI)]
    assert expanded.html.startswith('<p>a</p><div class="affsite affsite-compact')  # settings
    assert [answer.id for answer in expanded.answers] == [EARBUDS, mug]
    assert expanded.problems == () and expanded.failed == ()


def test_nothing_is_asked_for_a_text_without_products(
    catalog: Catalog, asked: list[tuple[list[str], Purpose]]
) -> None:
    expanded = expand_text(
        "<p>[gallery] [aliexpress id=1]</p>", catalog, RENDERER, purpose=Purpose.PAGE
    )
    assert asked == []
    assert len(expanded.problems) == 1
    assert expanded.html.startswith("<p>[gallery] <!-- affsite:")


def test_short_links_go_through_the_catalogs_follower_which_is_closed(catalog: Catalog) -> None:
    before = FOLLOWER.closed
    expanded = expand_text(f'[aliexpress url="{SHORT}"]', catalog, RENDERER, purpose=Purpose.PAGE)
    assert f'data-product-id="{EARBUDS}"' in expanded.html
    assert FOLLOWER.followed[-1] == SHORT
    assert FOLLOWER.closed == before + 1


def test_plain_text_is_escaped_around_the_tags(catalog: Catalog) -> None:
    expanded = expand_text(
        f"a<b [aliexpress {EARBUDS}]", catalog, RENDERER, purpose=Purpose.PAGE, plain_text=True
    )
    assert expanded.html.startswith('a&lt;b <div class="affsite')


def test_one_tag_from_attributes(catalog: Catalog) -> None:
    expanded = expand_tag_for_site(
        "aliexpress", {"id": EARBUDS, "template": "list"}, catalog, RENDERER, purpose=Purpose.PAGE
    )
    assert expanded.html.startswith('<div class="affsite affsite-list')


def test_failed_fetches_are_told_apart(catalog: Catalog, sandbox: Sandbox) -> None:
    sandbox.inject("server_error", status=502)
    expanded = expand_text(f"[aliexpress {EARBUDS}]", catalog, RENDERER, purpose=Purpose.CLI)
    assert [answer.status for answer in expanded.failed] == [Status.FALLBACK]


def test_find_problems_reports_what_expanding_would_without_the_catalog(
    catalog: Catalog, asked: list[tuple[list[str], Purpose]]
) -> None:
    text = (
        f"[aliexpress {EARBUDS}]\n"
        '[aliexpress id="12"]\n'
        f'[aliexpress ids="{EARBUDS},{MUG}" template=link title="Both"]\n'
        '[aliexpress search="usb" limit=2]\n'
        '[aliexpress hot="usb" template=field]'
    )
    found = find_problems(text)
    expanded = expand_text(text, catalog, RENDERER, purpose=Purpose.PAGE)
    assert found == expanded.problems
    assert [problem.line for problem in found] == [2, 3, 5]


def test_find_problems_follows_short_links_only_with_a_follower() -> None:
    assert "short link" in find_problems(f'[aliexpress url="{SHORT}"]')[0].reason
    follower: Any = FakeFollower()
    assert find_problems(f'[aliexpress url="{SHORT}"]', follower=follower) == ()


# --- lists -----------------------------------------------------------------------------------

QUERY = "aliexpress.affiliate.product.query"
HOT = "aliexpress.affiliate.hotproduct.query"
DETAIL = "aliexpress.affiliate.productdetail.get"

SECOND = "33006951782"
MIXED = (
    f"<p>[aliexpress {EARBUDS}]</p>\n"
    '[aliexpress search="usb" limit=3]\n'
    '[aliexpress hot="usb" limit=2 template=list]\n'
    '[aliexpress search="usb" limit="3"]\n'
    f'[aliexpress ids="{SECOND}"]'
)


def test_ids_and_lists_in_one_text_cost_one_call_per_list_and_one_for_the_ids(
    catalog: Catalog,
    sandbox: Sandbox,
    asked: list[tuple[list[str], Purpose]],
    clock: FakeClock,
) -> None:
    expanded = expand_text(MIXED, catalog, RENDERER, purpose=Purpose.PAGE)

    assert expanded.problems == ()
    searched, hot = expanded.lists
    assert (len(searched.ids), len(hot.ids)) == (3, 2)
    assert {a.status for a in expanded.lists} == {Status.MISS}
    listed = list(dict.fromkeys([*searched.ids, *hot.ids]))
    ids = [EARBUDS, SECOND, *(pid for pid in listed if pid not in (EARBUDS, SECOND))]
    assert asked == [(ids, Purpose.PAGE)]  # one catalog request for every product shown
    assert (sandbox.call_count(QUERY), sandbox.call_count(HOT)) == (1, 1)
    assert sandbox.call_count(DETAIL) == 1  # the tags' own ids; the lists' came with them
    assert sandbox.calls_snapshot()[-1].params["product_ids"] == f"{EARBUDS},{SECOND}"
    assert expanded.html.count('class="affsite affsite-grid') == 2  # lists: grid by default
    assert expanded.html.count('class="affsite affsite-list') == 1
    for pid in listed:
        assert f'data-product-id="{pid}"' in expanded.html

    again = expand_text(MIXED, catalog, RENDERER, purpose=Purpose.PAGE)
    assert again.html == expanded.html
    assert sandbox.stats()["calls"] == 3  # warm: nothing more

    clock.advance(catalog.settings().list_ttl + 1)  # lists expire, their products do not
    stale = expand_text(MIXED, catalog, RENDERER, purpose=Purpose.PAGE)
    assert {a.status for a in stale.lists} == {Status.STALE}
    assert (sandbox.call_count(QUERY), sandbox.call_count(HOT)) == (2, 2)  # renewed behind
    assert sandbox.call_count(DETAIL) == 1
    assert catalog.gate.new_products.used() == 0  # the site's own: never the public share


def test_a_list_that_cannot_be_looked_up_is_a_comment_and_nothing_for_visitors(
    catalog: Catalog, sandbox: Sandbox
) -> None:
    catalog.gate.quota.set_used(catalog.settings().daily_quota)
    expanded = expand_text(
        '<p>[aliexpress search="usb"]</p>', catalog, RENDERER, purpose=Purpose.PAGE
    )
    assert sandbox.stats()["calls"] == 0
    assert [answer.status for answer in expanded.lists] == [Status.FALLBACK]
    [problem] = expanded.problems
    assert problem.reason.startswith("the list could not be looked up (quota_exhausted)")
    assert expanded.html.startswith('<p><!-- affsite: [aliexpress search="usb"] the list could')
    assert expanded.html.endswith(" --></p>")


def test_a_list_that_finds_nothing_is_a_comment(catalog: Catalog, sandbox: Sandbox) -> None:
    expanded = expand_tag_for_site(
        "aliexpress", {"search": "zzqx nothing"}, catalog, RENDERER, purpose=Purpose.CLI
    )
    assert sandbox.call_count(QUERY) == 1
    assert [problem.reason for problem in expanded.problems] == [LIST_FOUND_NOTHING]
    assert expanded.lists[0].status is Status.MISS and expanded.lists[0].ids == ()
