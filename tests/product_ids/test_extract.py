"""extract_all: every product in a text once, in order of first appearance, failures explained,
in time linear in the length of the text."""

from __future__ import annotations

import pytest

from affsite.product_ids import MAX_TEXT_LENGTH, REGIONAL_OFFSET, Form, Resolution, extract_all
from affsite.product_ids.extract import _trim_url_end

G = "1005001513148147"
US = str(int(G) + REGIONAL_OFFSET)
B = "1005003091506814"
C = "32807670869"
D = "4000587263111"


class CountingFollower:
    def __init__(self, answer: str | None = G) -> None:
        self.calls: list[str] = []
        self.answer = answer

    def follow(self, short_url: str) -> Resolution:
        self.calls.append(short_url)
        if self.answer is None:
            return Resolution(input=short_url, form=Form.SHORT_LINK, error="gone")
        return Resolution(input=short_url, id=self.answer, raw_id=self.answer, form=Form.SHORT_LINK)


def test_an_html_article_gives_each_product_once_in_order() -> None:
    article = f"""
    <p>Our favourite cable <a href="https://www.aliexpress.com/item/{B}.html?spm=a2g0o&amp;algo_pvid=x">here</a>
    and the same one again <a href='https://aliexpress.ru/item/{B}.html'>RU</a>.</p>
    <p>In the US: <a href="https://www.aliexpress.us/item/{US}.html?gatewayAdapt=glo2usa">US</a>;
    by id: {G}. Old favourite: <a href="//m.aliexpress.com/s/item/{C}.html#autostay">m</a></p>
    <img src="https://ae01.alicdn.com/kf/Habc.jpg">
    """

    result = extract_all(article, offline=True)

    assert result.ids == [B, G, C]
    assert [r.form for r in result.products] == ["item", "item", "item"]
    # The id written as a number in prose repeats the US product: it is not listed twice.
    assert [f.input for f in result.failures] == ["https://ae01.alicdn.com/kf/Habc.jpg"]


def test_markdown_links_and_share_wrappers() -> None:
    text = (
        f"- [Cable](https://www.aliexpress.com/item/{G}.html)\n"
        f"- [Charger](https://star.aliexpress.com/share/share.htm?redirectUrl="
        f"https%3A%2F%2Fwww.aliexpress.com%2Fitem%2F{B}.html).\n"
        f"- <https://www.aliexpress.com/i/{C}.html>\n"
        f"- (see aliexpress.com/item/{D}.html), and "
        f"aliexpress://product/detail?productId={G}\n"
    )

    result = extract_all(text, offline=True)

    assert result.ids == [G, B, C, D]
    assert result.failures == []


def test_a_pasted_list_reports_failures_with_reasons_in_order() -> None:
    pasted = "\n".join(
        [
            f"https://www.aliexpress.com/item/{G}.html",
            "",
            "   ",
            "12345",
            f"1. {B}",
            f"https://aliexpress.com.example.net/item/{C}.html",
            "https://www.aliexpress.com/store/1102181980",
            "https://s.click.aliexpress.com/e/_DdGYnJf",
            "654321",
            f"* {G}",
        ]
    )

    result = extract_all(pasted, offline=True)

    assert result.ids == [G, B, "654321"]
    reasons = [(f.input, f.error) for f in result.failures]
    assert [text for text, _ in reasons] == [
        "12345",
        f"https://aliexpress.com.example.net/item/{C}.html",
        "https://www.aliexpress.com/store/1102181980",
        "https://s.click.aliexpress.com/e/_DdGYnJf",
    ]
    assert "6 to 19" in (reasons[0][1] or "")
    assert "not an AliExpress site" in (reasons[1][1] or "")
    assert "store page" in (reasons[2][1] or "")
    assert "needs the network" in (reasons[3][1] or "")


@pytest.mark.parametrize(
    "prose",
    [
        "Founded in 2010, the shop sold 12,345 cables for $1,299.99 in 2024.",
        "Call +1 555 123 4567 or 555-123-4567 before 10:30.",
        "Order #8123456789012345 shipped; tracking LP00123456789012.",
        f"Version 1.{G} and rate 0.{G} are not ids, nor is {G}.html or {G}px.",
        f"Ids glued to words: SKU{G}, {G}abc, id={G}, a/{G}, {G}%.",
        f"A foreign address: evil.example/item/{G}.html?sku_id={B}&x={C}.",
        "A short number alone in prose: 654321 and 12345678.",
    ],
)
def test_numbers_in_prose_that_are_not_product_ids_are_ignored(prose: str) -> None:
    result = extract_all(prose, offline=True)

    assert result.products == []


@pytest.mark.parametrize(
    "prose",
    [
        f"The product {G} is great.",
        f"Product ids: {G}, {B}.",
        f"(id {G})",
        f'"{G}"',
        f"<td>{G}</td>",
        f"| {G} | cable |",
        f"**{G}**",
    ],
)
def test_standalone_ids_in_prose_are_found(prose: str) -> None:
    assert extract_all(prose, offline=True).ids[0] == G


def test_short_links_are_followed_once_each_with_a_follower() -> None:
    follower = CountingFollower()
    text = (
        "https://s.click.aliexpress.com/e/_DdGYnJf and again "
        "https://s.click.aliexpress.com/e/_DdGYnJf plus https://a.aliexpress.com/_mKjL9Cq"
    )

    result = extract_all(text, follower=follower)

    assert result.ids == [G]
    assert follower.calls == [
        "https://s.click.aliexpress.com/e/_DdGYnJf",
        "https://a.aliexpress.com/_mKjL9Cq",
    ]


def test_the_number_of_short_links_followed_per_text_is_capped() -> None:
    follower = CountingFollower(answer=None)
    text = " ".join(f"https://s.click.aliexpress.com/e/_code{n:03d}" for n in range(60))

    result = extract_all(text, follower=follower)

    assert len(follower.calls) == 50
    assert len(result.failures) == 60
    assert "more than 50 short links" in (result.failures[-1].error or "")


def test_a_huge_text_is_read_up_to_the_limit() -> None:
    text = f"{G}\n" + "x" * 1_100_000

    result = extract_all(text, offline=True)

    assert result.ids == [G]
    assert "text too long" in (result.failures[0].error or "")


def test_empty_text_gives_nothing() -> None:
    assert extract_all("") == extract_all("   \n\n") == extract_all("no links here")
    assert extract_all("").products == extract_all("").failures == []


@pytest.mark.parametrize(
    ("url", "trimmed"),
    [
        ("https://x.aliexpress.com/item/1.html.", "https://x.aliexpress.com/item/1.html"),
        ("https://x.aliexpress.com/a_(b)", "https://x.aliexpress.com/a_(b)"),
        ("https://x.aliexpress.com/a_(b)).", "https://x.aliexpress.com/a_(b)"),
        ("https://x.aliexpress.com/a)!?*_~'\"", "https://x.aliexpress.com/a"),
        ("https://x.aliexpress.com/((a))))", "https://x.aliexpress.com/((a))"),
        (".,;)", ""),
    ],
)
def test_punctuation_and_unbalanced_brackets_are_cut_off_the_end(url: str, trimmed: str) -> None:
    assert _trim_url_end(url) == trimmed


# --- Linear time (issue 8, row 10) ------------------------------------------------------------
# 150 KB pasted into "Add products by URL" took 30 s: the scheme-less host pattern tried every
# way to split a run of "aliexpress." labels, and trimming cut one character at a time,
# recounting brackets and copying the rest each time. Each text below is the full 1 MiB that
# extract_all reads; the quadratic code needs minutes for most (half a minute for the
# punctuation run), the linear code well under a second. The time limit is generous, so the
# test fails only on the growth rate, not on a slow machine.

_URL = f"https://www.aliexpress.com/item/{B}.html"
_ADVERSARIAL = {
    # (what the text starts with after the id line, the piece repeated up to 1 MiB)
    "host labels named aliexpress": ("", "aliexpress."),
    "host labels named aliexpress, after a bracket": ("(", "aliexpress.x."),
    "closing brackets after an address": (_URL, ")"),
    "sentence punctuation after an address": (_URL, "."),
    "address characters without a delimiter": (_URL + "?q=", "a"),
    "html-escaped ampersands": (_URL + "?q=", "&amp;"),
    "scheme prefixes": ("", "http://"),
    "protocol-relative starts": ("", " //a"),
    "a digit run": ("", "1"),
    "dotted labels": ("", "a."),
    "hyphenated host runs": ("=", "a-"),
    "numbered list markers": ("", "1. "),
}


def _megabyte(start: str, piece: str) -> str:
    text = f"{G}\n{start}"
    return (text + piece * (MAX_TEXT_LENGTH // len(piece) + 1))[:MAX_TEXT_LENGTH]


@pytest.mark.timeout(10)
@pytest.mark.parametrize(("start", "piece"), list(_ADVERSARIAL.values()), ids=list(_ADVERSARIAL))
def test_a_megabyte_of_adversarial_text_is_read_in_linear_time(start: str, piece: str) -> None:
    result = extract_all(_megabyte(start, piece), offline=True)

    assert result.ids[0] == G
    assert all(failure.error for failure in result.failures)
