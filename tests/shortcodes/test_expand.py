"""Expanding whole documents: one catalog request, broken tags as comments, nothing unescaped."""

from __future__ import annotations

from collections.abc import Sequence

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from markupsafe import Markup

from affsite.aliexpress.queries import HotProductQuery, ProductQuery
from affsite.shortcodes import (
    LIST_FOUND_NOTHING,
    LISTS_UNANSWERED,
    FieldTag,
    Found,
    LinkTag,
    Problem,
    ProductRequest,
    Refusal,
    check,
    expand,
    expand_tag,
    plan,
)
from affsite.shortcodes.attributes import closes_its_html
from affsite.shortcodes.expand import MAX_LISTS, MAX_PRODUCTS

from .helpers import EARBUDS, MUG, SHORT, TEXTS, FakeFollower, read_html

SETTINGS = settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])


class Answers:
    """A stand-in for the catalog: answers every id with a string, and records each call."""

    def __init__(self) -> None:
        self.calls: list[list[str]] = []

    def __call__(self, ids: Sequence[str]) -> dict[str, str]:
        self.calls.append(list(ids))
        return {pid: f"answer {pid}" for pid in ids}


class Lists:
    """A stand-in for the catalog's lists: each search finds ``found[keywords]`` (nothing for
    other words), a hot list finds the same reversed; records each call."""

    def __init__(self, **found: list[str]) -> None:
        self.found = found
        self.calls: list[list[ProductQuery]] = []

    def __call__(self, queries: Sequence[ProductQuery]) -> dict[ProductQuery, Found]:
        self.calls.append(list(queries))
        answers = {}
        for query in queries:
            ids = self.found.get(query.keywords or "", [])
            if isinstance(query, HotProductQuery):
                ids = ids[::-1]
            answers[query] = Found(ids=tuple(ids[: query.page_size]))
        return answers


def echo(request: ProductRequest, answers: Sequence[str]) -> str:
    """Draws like the renderer does: every value into an attribute or text, escaped."""
    look = request.look
    values = {
        "data-kind": type(request).__name__,
        "data-ids": ",".join(request.ids),
        "data-template": look.template.value if look.template else "",
        "data-theme": look.theme.value if look.theme else "",
        "data-title": look.title or "",
        "data-button": look.button or "",
        "data-field": request.field.value if isinstance(request, FieldTag) else "",
    }
    text = request.text if isinstance(request, LinkTag) and request.text else ""
    attributes = Markup("").join(
        Markup(' {}="{}"').format(Markup(name), value)  # noqa: S704 (fixed names)
        for name, value in values.items()
    )
    return Markup("<span{}>{}{}</span>").format(attributes, text, " / ".join(answers))


def assert_only_drawn_markup(html: str) -> None:
    """Every tag is one ``echo`` drew and every comment one of ours: a value that escaped its
    escaping would show up as a tag, an ``on…``/``style`` attribute, or a comment cut short."""
    read = read_html(html)
    for tag, attrs in read.tags:
        assert tag == "span", html
        for name in attrs:
            assert name.startswith("data-"), (name, html)
            assert name != "style" and not name.startswith("on")
    for comment in read.comments:
        assert comment.startswith(" affsite: ") and comment.endswith(" "), comment
        assert "--" not in comment and ">" not in comment


# --- one catalog request per document -----------------------------------------------------------


def article(products: int = 60, tags: int = 100) -> tuple[str, list[str]]:
    ids = [str(1005001000000000 + i) for i in range(products)]
    parts = []
    for i in range(tags):
        pid, other = ids[i % products], ids[(i + 1) % products]
        parts.append(
            [
                f'<p>About it.</p>\n[aliexpress id="{pid}"]\n',
                f"<p>See [aliexpress_link {pid}]this one[/aliexpress_link].</p>\n",
                f"<p>Now [aliexpress_field id={pid} field=price].</p>\n",
                f'[aliexpress ids="{pid},{other}" template=grid theme=dark button="Buy"]\n',
            ][i % 4]
        )
    return "".join(parts), ids


def test_a_100_tag_article_over_60_products_asks_for_answers_once() -> None:
    text, ids = article()
    answers = Answers()
    expanded = expand(text, answers, echo)
    assert answers.calls == [ids]
    assert expanded.ids == tuple(ids)
    assert expanded.problems == ()
    assert sum(1 for tag, _ in read_html(expanded.html).tags if tag == "span") == 100


def test_a_document_without_products_never_asks() -> None:
    answers = Answers()
    expanded = expand("<p>[aliexpress] and [[aliexpress 1]]</p>", answers, echo)
    assert answers.calls == []
    assert expanded.html.startswith("<p><!-- affsite: [aliexpress] names no product")
    assert expanded.html.endswith(" and [aliexpress 1]</p>")


@SETTINGS
@given(TEXTS.filter(lambda text: "[aliexpress" not in text))
def test_text_without_a_shortcode_comes_back_unchanged(text: str) -> None:
    answers = Answers()
    expanded = expand(text, answers, echo)
    assert expanded.html == text
    assert (answers.calls, expanded.problems, expanded.ids) == ([], (), ())


@SETTINGS
@given(TEXTS)
def test_no_text_makes_expansion_raise(text: str) -> None:
    expanded = expand(text, Answers(), echo)
    assert isinstance(expanded.html, str)
    assert len(check(text)) == len(expanded.problems)


# --- nothing an author writes reaches the page unescaped ----------------------------------------

HOSTILE = st.sampled_from(
    [
        '" onmouseover=alert(1) x="',
        "' onmouseover=alert(1) x='",
        "'><svg onload=alert(1)>",
        "<script>alert(1)</script>",
        "<img src=x onerror=alert(1)>",
        "expression(alert(1))",
        "</style><script>x</script>",
        "--><script>x</script><!--",
        "--!><b>x</b>",
        "javascript:alert(1)",
        "\u202e\x00\x1b[31m",
        "x" * 10_000,
    ]
)
VALUES = st.one_of(HOSTILE, st.text(max_size=30), st.sampled_from(["grid", "dark", "price", "Buy"]))
NAMES = st.sampled_from(
    ["title", "button", "template", "theme", "field", "style", "class", "onclick", "id", "url"]
)
TAGS = st.sampled_from(["aliexpress", "aliexpress_link", "aliexpress_field"])


def _quoted(value: str) -> str:
    return f'"{value}"' if '"' not in value else f"'{value}'"


@st.composite
def shortcodes(draw: st.DrawFn, *, parse_whole: bool) -> str:
    """A shortcode with random (often hostile) attributes; with ``parse_whole``, only values
    WordPress reads as one attribute (so the tag is always a tag, never left as text)."""
    values = VALUES
    if parse_whole:
        values = VALUES.filter(
            lambda v: (
                not ('"' in v and "'" in v)
                and "]" not in v
                and "\\" not in v
                and "<!" not in v
                and closes_its_html(v)
            )
        )
    attributes = draw(st.dictionaries(NAMES, values, max_size=4))
    tag = draw(TAGS)
    written = " ".join(f"{name}={_quoted(value)}" for name, value in attributes.items())
    content = draw(st.one_of(st.none(), values))
    opening = f"[{tag} {draw(st.sampled_from([EARBUDS, MUG, '']))} {written}]"
    return opening if content is None else f"{opening}{content}[/{tag}]"


SAFE_TEXT = st.text(st.characters(blacklist_characters="<>&[]\\", blacklist_categories=["Cs"]))


@SETTINGS
@given(st.lists(st.one_of(shortcodes(parse_whole=False), TEXTS), max_size=6).map(" ".join))
def test_as_plain_text_nothing_but_drawn_boxes_is_markup(text: str) -> None:
    assert_only_drawn_markup(expand(text, Answers(), echo, plain_text=True).html)


@SETTINGS
@given(st.lists(st.one_of(shortcodes(parse_whole=True), SAFE_TEXT), max_size=6).map(" ".join))
def test_attribute_values_reach_html_only_escaped(text: str) -> None:
    assert_only_drawn_markup(expand(text, Answers(), echo).html)


@pytest.mark.parametrize(
    "reason",
    [
        "-->",
        "--!>",
        "<!--",
        ">",
        "->",
        "x<!-",
        "a---->b",
        "--><script>alert(1)</script>",
        "\x00\n\u202e",
    ],
)
def test_a_problem_comment_cannot_be_ended_early(reason: str) -> None:
    comment = Problem(reason=reason, source=f"[aliexpress {reason}]", start=0).comment()
    read = read_html(f"<p>{comment}</p>")
    assert read.tags == [("p", {})]
    assert len(read.comments) == 1
    assert read.text == []


# --- what a broken tag becomes ------------------------------------------------------------------


def test_broken_tags_become_comments_with_their_line() -> None:
    text = f'<p>one</p>\n[aliexpress id="12"]\n\n[aliexpress {EARBUDS} template="nope"]\n'
    expanded = expand(text, Answers(), echo)
    assert [(p.line, p.source) for p in expanded.problems] == [
        (2, '[aliexpress id="12"]'),
        (4, f'[aliexpress {EARBUDS} template="nope"]'),
    ]
    assert str(expanded.problems[0]).startswith('line 2: [aliexpress id="12"] id: 12 is not')
    assert expanded.html.count("<!-- affsite: ") == 2
    assert read_html(expanded.html).text == ["one", "\n", "\n\n", "\n"]


# --- lists ---------------------------------------------------------------------------------------

OTHER = "1005002000000001"


def test_each_list_is_looked_up_once_and_its_products_join_the_one_request() -> None:
    text = (
        f'[aliexpress {EARBUDS}]\n[aliexpress search="mug" limit=2]\n'
        f'[aliexpress hot="mug" template=list]\n[aliexpress search="mug" limit="2"]'
    )
    lists, answers = Lists(mug=[MUG, EARBUDS, OTHER]), Answers()
    expanded = expand(text, answers, echo, lists_for=lists)
    assert [[(type(q).__name__, q.keywords) for q in call] for call in lists.calls] == [
        [("ProductQuery", "mug"), ("HotProductQuery", "mug")]
    ]
    assert answers.calls == [[EARBUDS, MUG, OTHER]]  # the tags' ids first, then the lists'
    assert expanded.ids == (EARBUDS, MUG, OTHER)
    assert expanded.problems == ()
    drawn = [attrs for tag, attrs in read_html(expanded.html).tags]
    assert [(d["data-kind"], d["data-ids"], d["data-template"]) for d in drawn] == [
        ("ProductsTag", EARBUDS, ""),
        ("ProductsTag", f"{MUG},{EARBUDS}", "grid"),  # a list's template unless it names one
        ("ProductsTag", f"{OTHER},{EARBUDS},{MUG}", "list"),
        ("ProductsTag", f"{MUG},{EARBUDS}", "grid"),
    ]


def test_a_list_that_finds_nothing_or_cannot_be_looked_up_is_a_comment_for_the_author() -> None:
    def lists_for(queries: Sequence[ProductQuery]) -> dict[ProductQuery, Found]:
        return {
            query: Found(problem="the list could not be looked up (banned)")
            if query.keywords == "drone"
            else Found()
            for query in queries
        }

    text = '<p>[aliexpress search="drone"]</p><p>[aliexpress search="nothing"]</p>'
    answers = Answers()
    expanded = expand(text, answers, echo, lists_for=lists_for)
    assert [p.reason for p in expanded.problems] == [
        "the list could not be looked up (banned)",
        LIST_FOUND_NOTHING,
    ]
    assert answers.calls == []
    read = read_html(expanded.html)
    assert read.tags == [("p", {}), ("p", {})] and read.text == []  # nothing for visitors
    assert len(read.comments) == 2


def test_lists_are_checked_first_and_need_someone_to_look_them_up() -> None:
    answers = Answers()
    expanded = expand('[aliexpress search="usb c" limit=4]', answers, echo)
    assert [p.reason for p in expanded.problems] == [LISTS_UNANSWERED]
    assert answers.calls == []
    assert "limit is a number" in check('[aliexpress search="usb c" limit=99]')[0].reason
    assert plan('[aliexpress hot="usb" category=44]').queries == (
        HotProductQuery(keywords="usb", category_ids=("44",), page_size=10),
    )


def test_a_document_shows_a_bounded_number_of_lists_and_products() -> None:
    text = " ".join(f'[aliexpress search="w{n}"]' for n in range(MAX_LISTS + 1))
    lists = Lists()
    expanded = expand(text + ' [aliexpress search="w0"]', Answers(), echo, lists_for=lists)
    assert len(lists.calls[0]) == MAX_LISTS
    assert [p.source for p in expanded.problems if "lists" in p.reason] == [
        f'[aliexpress search="w{MAX_LISTS}"]'
    ]

    ids = [str(1005001000000000 + i) for i in range(MAX_PRODUCTS)]
    lists = Lists(more=[EARBUDS, MUG], same=ids[:2])
    text = " ".join(f"[aliexpress {pid}]" for pid in ids)
    text += ' [aliexpress search="more"] [aliexpress search="same"]'
    answers = Answers()
    expanded = expand(text, answers, echo, lists_for=lists)
    assert answers.calls == [ids]
    assert [p.source for p in expanded.problems] == ['[aliexpress search="more"]']


def test_the_draw_function_may_refuse_a_tag() -> None:
    def refuse_fields(request: ProductRequest, answers: Sequence[str]) -> str:
        if isinstance(request, FieldTag):
            raise Refusal("fields are off")
        return echo(request, answers)

    expanded = expand(f"[aliexpress_field {EARBUDS}] [aliexpress {MUG}]", Answers(), refuse_fields)
    assert [p.reason for p in expanded.problems] == ["fields are off"]
    assert expanded.html.startswith(f"<!-- affsite: [aliexpress_field {EARBUDS}] fields are off")


def test_a_product_without_an_answer_is_a_problem() -> None:
    expanded = expand(f"[aliexpress {EARBUDS}]", lambda ids: {}, echo)
    assert [p.reason for p in expanded.problems] == [f"no answer for product {EARBUDS}"]


def test_plain_text_is_escaped_around_drawn_tags() -> None:
    expanded = expand(f"a < b [aliexpress {EARBUDS}] & c", Answers(), echo, plain_text=True)
    assert expanded.html.startswith("a &lt; b <span ")
    assert expanded.html.endswith("</span> &amp; c")


def test_a_document_shows_a_bounded_number_of_products() -> None:
    ids = [str(1005001000000000 + i) for i in range(MAX_PRODUCTS + 1)]
    text = " ".join(f"[aliexpress {pid}]" for pid in ids)
    answers = Answers()
    expanded = expand(text, answers, echo)
    assert answers.calls == [ids[:MAX_PRODUCTS]]
    assert [p.source for p in expanded.problems] == [f"[aliexpress {ids[-1]}]"]


def test_short_links_use_the_follower_given() -> None:
    follower = FakeFollower()
    text = f'[aliexpress url="{SHORT}"] [aliexpress_link url="{SHORT}"]x[/aliexpress_link]'
    assert plan(text, follower=follower).ids == (EARBUDS,)
    assert follower.followed == [SHORT]
    assert "needs the network" in check(text)[0].reason


# --- one tag from attributes (template globals, APIs) -------------------------------------------


def test_a_tag_given_as_attributes_is_drawn_like_the_written_tag() -> None:
    answers = Answers()
    attrs = {"ids": f"{EARBUDS},{MUG}", "template": "grid", "title": '"><script>x</script>'}
    expanded = expand_tag("aliexpress", attrs, answers, echo)
    written = f'[aliexpress ids="{EARBUDS},{MUG}" template=grid title=\'"><script>x</script>\']'
    assert expanded == expand(written, Answers(), echo)
    assert answers.calls == [[EARBUDS, MUG]]
    assert_only_drawn_markup(expanded.html)


def test_a_tag_given_as_attributes_reports_its_problems() -> None:
    expanded = expand_tag("aliexpress_link", {"ID": EARBUDS, "onclick": "x"}, Answers(), echo)
    assert [p.reason[:28] for p in expanded.problems] == ['unknown attribute "onclick";']
    assert expanded.html.startswith(f'<!-- affsite: [aliexpress_link ID="{EARBUDS}" onclick="x"]')
    link = expand_tag("aliexpress_link", {"id": EARBUDS}, Answers(), echo, content="<b>go</b>")
    assert 'data-kind="LinkTag"' in link.html and ">go" in link.html
