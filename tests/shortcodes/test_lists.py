"""The list attributes, read and written back: one set of rules for shortcodes and the web."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from affsite.aliexpress.queries import HotProductQuery, ProductQuery, ProductSort
from affsite.shortcodes.lists import DEFAULT_LIMIT, list_attributes, list_query
from affsite.shortcodes.refusal import Refusal

SORTS = [None, *ProductSort]


@given(
    hot=st.booleans(),
    keywords=st.text(min_size=1, max_size=30),
    categories=st.lists(st.integers(1, 10**9).map(str), max_size=3),
    sort=st.sampled_from(SORTS),
    limit=st.integers(1, 50),
    low=st.none() | st.integers(0, 10**6),
    span=st.none() | st.integers(0, 10**6),
)
def test_what_is_written_back_reads_as_the_same_list(
    hot: bool,
    keywords: str,
    categories: list[str],
    sort: ProductSort | None,
    limit: int,
    low: int | None,
    span: int | None,
) -> None:
    source = "hot" if hot else "search"
    attrs = {source: keywords, "limit": str(limit)}
    if categories:
        attrs["category"] = ",".join(categories)
    if sort is not None and (hot or not sort.name.startswith("DISCOUNT")):
        attrs["sort"] = sort.value
    if low is not None:
        attrs["min_price"] = f"{low / 100:.2f}"
        if span is not None:
            attrs["max_price"] = f"{(low + span) / 100:.2f}"
    try:
        query = list_query(attrs, hot=hot)
    except Refusal:
        return  # keywords of nothing but spaces and control characters, and no category
    assert list_query(list_attributes(query), hot=hot) == query


def test_a_list_is_a_page_of_the_right_search() -> None:
    assert list_query({"search": "mug"}, hot=False) == ProductQuery(
        keywords="mug", page_size=DEFAULT_LIMIT
    )
    assert list_query({"hot": "", "category": "44, 7"}, hot=True) == HotProductQuery(
        category_ids=("44", "7"), page_size=DEFAULT_LIMIT
    )


@pytest.mark.parametrize(
    ("attrs", "reason"),
    [
        ({"search": " "}, 'search is empty: give it keywords, or add category="…"'),
        ({"search": "mug", "limit": "0"}, "limit is a number from 1 to 50"),
        ({"search": "mug", "min_price": "1.234"}, "min_price is a price written like 12.50"),
        ({"search": "mug", "min_price": "9", "max_price": "1"}, "min_price is above max_price"),
        ({"search": "mug", "sort": "DISCOUNT_ASC"}, "sort DISCOUNT_ASC is only for hot lists"),
        ({"search": "mug", "category": ",".join("1" * 11)}, "category names at most 10"),
    ],
)
def test_what_a_list_cannot_take(attrs: dict[str, str], reason: str) -> None:
    with pytest.raises(Refusal) as refused:
        list_query(attrs, hot=False)
    assert str(refused.value).startswith(reason)
