"""What each tag asks for, and the plain reason when it cannot be drawn."""

from __future__ import annotations

import pytest

from affsite.aliexpress.queries import HotProductQuery, ProductQuery, ProductSort
from affsite.product_ids import REGIONAL_OFFSET
from affsite.render.choices import MAX_BUTTON_TEXT, BoxTemplate, Theme
from affsite.shortcodes import (
    DocumentResolver,
    Field,
    FieldTag,
    LinkTag,
    ListTag,
    Look,
    Problem,
    ProductsTag,
    Request,
    Shortcode,
    interpret,
    parse,
)
from affsite.shortcodes.tags import MAX_IDS, MAX_TEXT

from .helpers import EARBUDS, MUG, SHORT, FakeFollower


def shortcode(text: str) -> Shortcode:
    (found,) = parse(text)
    assert isinstance(found, Shortcode), text
    return found


def read(text: str, follower: FakeFollower | None = None) -> Request | Problem:
    return interpret(shortcode(text), DocumentResolver(follower))


def reason(text: str) -> str:
    problem = read(text)
    assert isinstance(problem, Problem), problem
    assert problem.source == text.strip()
    return problem.reason


# --- [aliexpress]: products ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "ids"),
    [
        (f'[aliexpress id="{EARBUDS}"]', (EARBUDS,)),
        (f"[aliexpress {EARBUDS}]", (EARBUDS,)),
        (f"[aliexpress {EARBUDS} {MUG}]", (EARBUDS, MUG)),
        (f'[aliexpress ids="{EARBUDS}, {MUG},{EARBUDS},"]', (EARBUDS, MUG)),
        (f'[aliexpress url="https://www.aliexpress.com/item/{EARBUDS}.html?spm=x"]', (EARBUDS,)),
        (f'[aliexpress id="https://aliexpress.ru/item/{EARBUDS}.html"]', (EARBUDS,)),
        (f"[aliexpress id={REGIONAL_OFFSET + int(EARBUDS)}]", (EARBUDS,)),
    ],
)
def test_products_are_named_by_id_ids_address_or_a_bare_id(text: str, ids: tuple[str]) -> None:
    assert read(text) == ProductsTag(ids=ids)


def test_common_attributes_are_checked_and_kept_as_plain_text() -> None:
    text = (
        f'[aliexpress {EARBUDS} template="Grid" theme=dark title="  Best\n<b>buy</b>\u202e "'
        ' button="Get it"]'
    )
    assert read(text) == ProductsTag(
        ids=(EARBUDS,),
        look=Look(
            template=BoxTemplate.GRID, theme=Theme.DARK, title="Best <b>buy</b>", button="Get it"
        ),
    )


def test_free_text_is_capped() -> None:
    request = read(f'[aliexpress {EARBUDS} title="{"t" * 500}" button="{"b" * 500}"]')
    assert isinstance(request, ProductsTag)
    assert request.look.title == "t" * MAX_TEXT
    assert request.look.button == "b" * MAX_BUTTON_TEXT


def test_blank_free_text_is_no_text() -> None:
    assert read(f'[aliexpress {EARBUDS} title=" " button=""]') == ProductsTag(ids=(EARBUDS,))


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("[aliexpress]", "names no product"),
        ('[aliexpress id=""]', "id is empty"),
        # The "<" must meet a ">" before the "]", or the tag is hidden inside an HTML tag.
        ('[aliexpress id="1<2" title=">"]', "id is empty (WordPress empties a value with a <"),
        ("[aliexpress id=12]", "id: 12 is not a product id: it has 2 digits"),
        ("[aliexpress nonsense]", "a bare id: "),
        (f'[aliexpress id="{EARBUDS},{MUG}"]', 'use ids="…,…" for several'),
        (f'[aliexpress id={EARBUDS} url="x"]', "use only one of id, url"),
        (f'[aliexpress {EARBUDS} ids="{MUG}"]', "use only one of a bare id, ids"),
        (f'[aliexpress id={EARBUDS} search="mug"]', "use only one of id, search"),
        ('[aliexpress url="https://evil.example/item/1005004757833857.html"]', "url: "),
        (f'[aliexpress url="{SHORT}"]', "url: needs the network to follow the short link"),
        ('[aliexpress ids=" , "]', "ids names no product"),
        (f'[aliexpress ids="{EARBUDS},12"]', "ids: 12 is not a product id"),
        (f"[aliexpress {EARBUDS} template=nope]", 'unknown template "nope"; use box, grid,'),
        (f"[aliexpress {EARBUDS} template=field]", 'template "field" does not fit here'),
        (f"[aliexpress {EARBUDS} theme=pink]", 'unknown theme "pink"; use light, dark, auto'),
        (f"[aliexpress {EARBUDS} limit=4]", "limit only goes with search or hot"),
        (f'[aliexpress {EARBUDS} style="color:red"]', 'unknown attribute "style"'),
        (f'[aliexpress {EARBUDS} onclick="alert(1)"]', 'unknown attribute "onclick"'),
        (f'[aliexpress {EARBUDS} class="x"]', 'unknown attribute "class"'),
    ],
)
def test_a_broken_tag_says_why_in_plain_words(text: str, expected: str) -> None:
    assert expected in reason(text)


def test_too_many_ids_in_one_tag() -> None:
    ids = ",".join(str(int(EARBUDS) + i) for i in range(MAX_IDS + 1))
    assert f"at most {MAX_IDS} fit one tag" in reason(f'[aliexpress ids="{ids}"]')


def test_unknown_attributes_are_listed_with_what_the_tag_takes() -> None:
    assert reason(f"[aliexpress_field {EARBUDS} template=box]") == (
        'unknown attribute "template"; [aliexpress_field] takes field, id, theme, url'
    )


def test_a_reason_quotes_hostile_values_shortened() -> None:
    said = reason(f'[aliexpress {EARBUDS} template="{"x" * 500}"]')
    assert len(said) < 200


# --- short links --------------------------------------------------------------------------------


def test_short_links_are_followed_once_per_document_when_a_follower_is_given() -> None:
    follower = FakeFollower()
    resolver = DocumentResolver(follower)
    for _ in range(3):
        request = interpret(shortcode(f'[aliexpress url="{SHORT}"]'), resolver)
        assert request == ProductsTag(ids=(EARBUDS,))
    assert follower.followed == [SHORT]


def test_a_document_follows_a_bounded_number_of_short_links() -> None:
    follower = FakeFollower()
    resolver = DocumentResolver(follower, max_short_links=2)
    results = [interpret(shortcode(f'[aliexpress url="{SHORT}{i}"]'), resolver) for i in range(3)]
    assert len(follower.followed) == 2
    assert isinstance(results[2], Problem)
    assert "too many short links" in results[2].reason


# --- lists --------------------------------------------------------------------------------------


def test_a_search_list_becomes_a_product_query() -> None:
    request = read(
        '[aliexpress search="usb c cable" limit="4" sort="LAST_VOLUME_DESC" min_price="5"'
        ' max_price="20.50" category="44,100" template=list]'
    )
    assert request == ListTag(
        query=ProductQuery(
            keywords="usb c cable",
            category_ids=("44", "100"),
            sort=ProductSort.LAST_VOLUME_DESC,
            min_price=500,
            max_price=2050,
            page_size=4,
        ),
        look=Look(template=BoxTemplate.LIST),
    )
    assert not request.hot


def test_a_hot_list_becomes_a_hot_product_query() -> None:
    request = read('[aliexpress hot="" category="44" sort=discount_desc]')
    assert isinstance(request, ListTag)
    assert request.hot
    assert isinstance(request.query, HotProductQuery)
    assert request.query.sort is ProductSort.DISCOUNT_DESC
    assert request.query.page_size == 10
    assert request.query.keywords is None


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ('[aliexpress search=""]', 'search is empty: give it keywords, or add category="…"'),
        ('[aliexpress search="mug" limit=0]', "limit is a number from 1 to 50"),
        ('[aliexpress search="mug" limit=51]', "limit is a number from 1 to 50"),
        ('[aliexpress search="mug" limit=four]', "limit is a number from 1 to 50"),
        ('[aliexpress search="mug" sort=cheapest]', 'unknown sort "cheapest"'),
        ('[aliexpress search="mug" sort=DISCOUNT_ASC]', "only for hot lists"),
        ('[aliexpress search="mug" min_price="1,50"]', "min_price is a price written like 12.50"),
        ('[aliexpress search="mug" max_price="-1"]', "max_price is a price written like 12.50"),
        ('[aliexpress search="mug" max_price="1.505"]', "max_price is a price written like"),
        ('[aliexpress search="mug" min_price=9 max_price=5]', "min_price is above max_price"),
        ('[aliexpress search="mug" category="12a"]', "category takes category ids"),
        ('[aliexpress search="mug" 1005004757833857]', "use only one of a bare id, search"),
    ],
)
def test_a_broken_list_says_why(text: str, expected: str) -> None:
    assert expected in reason(text)


# --- [aliexpress_link] and [aliexpress_field] ---------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            f"[aliexpress_link id={EARBUDS}]these earbuds[/aliexpress_link]",
            LinkTag(id=EARBUDS, text="these earbuds"),
        ),
        (
            f"[aliexpress_link {EARBUDS}]<strong>these</strong>\n earbuds[/aliexpress_link]",
            LinkTag(id=EARBUDS, text="these earbuds"),
        ),
        (f"[aliexpress_link {EARBUDS}]", LinkTag(id=EARBUDS, text=None)),
        (
            f'[aliexpress_link {EARBUDS} title="Buy"]',
            LinkTag(id=EARBUDS, text="Buy", look=Look(title="Buy")),
        ),
        (
            f"[aliexpress_link {EARBUDS} template=button theme=auto]x[/aliexpress_link]",
            LinkTag(id=EARBUDS, text="x", look=Look(template=BoxTemplate.BUTTON, theme=Theme.AUTO)),
        ),
        (f"[aliexpress_field {EARBUDS}]", FieldTag(id=EARBUDS, field=Field.PRICE)),
        (
            f"[aliexpress_field id={EARBUDS} field=Orders theme=dark]",
            FieldTag(id=EARBUDS, field=Field.ORDERS, look=Look(theme=Theme.DARK)),
        ),
    ],
)
def test_inline_tags(text: str, expected: Request) -> None:
    assert read(text) == expected
    assert isinstance(expected, (LinkTag, FieldTag))
    assert expected.ids == (EARBUDS,)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("[aliexpress_link]x[/aliexpress_link]", 'names no product: add id="…" or url="…"'),
        (f"[aliexpress_link {EARBUDS} {MUG}]", "names 2 products; [aliexpress_link] shows one"),
        (f"[aliexpress_link {EARBUDS} template=grid]", "use link, button"),
        (f'[aliexpress_link {EARBUDS} ids="{MUG}"]', 'unknown attribute "ids"'),
        (f"[aliexpress_field {EARBUDS} field=stock]", 'unknown field "stock"'),
        (f"[aliexpress_field {EARBUDS} button=x]", 'unknown attribute "button"'),
    ],
)
def test_broken_inline_tags(text: str, expected: str) -> None:
    assert expected in reason(text)


def test_interpret_refuses_a_tag_it_does_not_know() -> None:
    (found,) = parse("[amazon box=1]", tags=("amazon",))
    assert isinstance(found, Shortcode)
    result = interpret(found)
    assert isinstance(result, Problem)
    assert result.reason == "[amazon] is not an affsite shortcode"


def test_text_inside_a_tag_that_shows_no_text_is_not_lost_silently() -> None:
    assert reason(f"[aliexpress {EARBUDS}]my notes[/aliexpress]") == (
        "[aliexpress] takes no text: remove [/aliexpress] or use [aliexpress_link]"
    )
    assert "[aliexpress_field] takes no text" in reason(
        f"[aliexpress_field {EARBUDS}]x[/aliexpress_field]"
    )
    assert read(f"[aliexpress {EARBUDS}] \n[/aliexpress]") == ProductsTag(ids=(EARBUDS,))


# --- tags read again ------------------------------------------------------------------------------


def test_a_tag_read_again_is_the_same_request_and_its_problems_say_where_they_are() -> None:
    text = f'[aliexpress ids="{EARBUDS},{MUG}" template=grid title="Both"]'
    assert read(text) is read(text)  # kept: a site expands the same texts again and again
    first, second = (
        interpret(segment, DocumentResolver())
        for segment in parse("[aliexpress id=12]\n\nx [aliexpress id=12]")
        if isinstance(segment, Shortcode)
    )
    assert isinstance(first, Problem) and isinstance(second, Problem)
    assert (first.start, second.start) == (0, 22)


def test_a_short_link_is_followed_in_every_document_that_names_it() -> None:
    follower = FakeFollower()
    text = f'[aliexpress url="{SHORT}"]'
    assert read(text, follower) == read(text, follower) == ProductsTag(ids=(EARBUDS,))
    assert follower.followed == [SHORT, SHORT]  # its product depends on the network
    # ... and each document still has its budget of short links.
    budget = DocumentResolver(follower, max_short_links=0)
    refused = interpret(shortcode(text), budget)
    assert isinstance(refused, Problem) and "too many short links" in refused.reason
