"""WordPress's shortcode rules, case by case, and what must hold for any text at all.

The expected values are worked out from WordPress core (``get_shortcode_regex``,
``do_shortcode`` with ``ignore_html``, ``do_shortcode_tag``, ``shortcode_parse_atts``,
``get_shortcode_atts_regex``, ``wp_html_split``), not from running this code.
"""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from affsite.shortcodes import Shortcode, parse, parse_attributes, stripcslashes
from affsite.shortcodes.html_tags import HIDDEN, element_spans, hide_brackets_in_tags

from .helpers import EARBUDS, TEXTS

SETTINGS = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])

# --- attributes: shortcode_parse_atts ----------------------------------------------------------

ATTRIBUTE_CASES = [
    # (what follows the tag name, named values, positional values)
    (' id="123"', {"id": "123"}, []),
    (" id='123'", {"id": "123"}, []),
    (" id=123", {"id": "123"}, []),
    (" 123", {}, ["123"]),
    (' "two words"', {}, ["two words"]),
    (" 'two words'", {}, ["two words"]),
    (' 123 "a b" c', {}, ["123", "a b", "c"]),
    (" ID=\"x\" Title='y' TEMPLATE=grid", {"id": "x", "title": "y", "template": "grid"}, []),
    (' id = "x"', {"id": "x"}, []),
    (' a="1" a="2"', {"a": "2"}, []),
    (' data-x_y="1"', {"data-x_y": "1"}, []),
    (' a=""', {"a": ""}, []),
    # A quoted value must be followed by whitespace or the end; otherwise the whole run of
    # non-space characters is one positional value.
    (' id="1"title="x"', {}, ['id="1"title="x"']),
    (' a="x"b', {}, ['a="x"b']),
    (' a=x"y', {}, ['a=x"y']),
    (" a=", {}, ["a="]),
    # Backslashes do not escape quotes: the value ends at the first quote.
    (' title="a\\"b"', {}, ['title="a"b"']),
    # stripcslashes on every value.
    (' a="x\\ty"', {"a": "x\ty"}, []),
    (' a="\\x41\\101\\q"', {"a": "AAq"}, []),
    (' a="c:\\\\dir"', {"a": "c:\\dir"}, []),
    (' a="\\xg"', {"a": "xg"}, []),
    (" \\n", {}, ["\n"]),
    # No-break and zero-width spaces are spaces (a run of them is one).
    (' id=\u00a0"1"', {"id": "1"}, []),
    ("\u200bid\u200b=\u200b1", {"id": "1"}, []),
    (' a="x\u00a0\u00a0y"', {"a": "x y"}, []),
    ("\u00a01\u200b2", {}, ["1", "2"]),
    # ASCII whitespace only (PCRE \s without /u): tab, newline, vertical tab, form feed.
    ("\tid=1\nx\x0by\x0cz", {"id": "1"}, ["x", "y", "z"]),
    (" id=1\u2003x", {"id": "1\u2003x"}, []),
    # ASCII word characters only (\w without /u).
    (' é="x"', {}, ['é="x"']),
    # Unclosed HTML blanks the value; closed HTML is kept.
    (' title="a<b"', {"title": ""}, []),
    (' title="<b>x</b>"', {"title": "<b>x</b>"}, []),
    (' title="x > y"', {"title": "x > y"}, []),
    (' title="a<b>c<d"', {"title": ""}, []),
    (' "<i" ok', {}, ["", "ok"]),
    (' a="\\x3cscript"', {"a": ""}, []),  # unescaped first, then checked
    # PHP details: a name "0" is dropped (empty("0")), and so are empty quoted positionals.
    (' 0="x" y', {}, ["y"]),
    (" \"\" ''", {}, []),
    ("   ", {}, []),
    ("", {}, []),
    (' a="1"\n', {"a": "1"}, []),
]


@pytest.mark.parametrize(("text", "named", "positional"), ATTRIBUTE_CASES)
def test_attributes_are_read_as_wordpress_reads_them(
    text: str, named: dict[str, str], positional: list[str]
) -> None:
    assert parse_attributes(text) == (named, positional)


@pytest.mark.parametrize(
    ("escaped", "plain"),
    [
        ("\\n\\r\\t\\v\\f\\a\\b", "\n\r\t\x0b\x0c\x07\x08"),
        ("\\x4a\\x4", "J\x04"),
        ("\\0", "\x00"),
        ("\\1234", "S4"),  # at most three octal digits
        ("\\8", "8"),
        ("\\\\", "\\"),
        ("end\\", "end\\"),  # a lone backslash at the end stays
        ("caf\\xc3\\xa9", "café"),  # bytes, as PHP makes them
        ("\\777", "\ufffd"),  # 511 cast to a byte is 0xFF, which is no character
        ("no escapes", "no escapes"),
    ],
)
def test_stripcslashes_matches_php(escaped: str, plain: str) -> None:
    assert stripcslashes(escaped) == plain


# --- whole texts: get_shortcode_regex and do_shortcode -----------------------------------------


def _shape(segments: list[str | Shortcode]) -> list[object]:
    return [
        s if isinstance(s, str) else (s.tag, dict(s.attrs), list(s.positional), s.content)
        for s in segments
    ]


PARSE_CASES = [
    ('[aliexpress id="1"]', [("aliexpress", {"id": "1"}, [], None)]),
    ("[aliexpress 1005004757833857]", [("aliexpress", {}, ["1005004757833857"], None)]),
    (
        "Buy [aliexpress_link id=1]this[/aliexpress_link] now",
        ["Buy ", ("aliexpress_link", {"id": "1"}, [], "this"), " now"],
    ),
    ("[aliexpress_link][/aliexpress_link]", [("aliexpress_link", {}, [], "")]),
    # Self-closing tags take no content, even with a closing tag after them.
    ("[aliexpress id=1 /]", [("aliexpress", {"id": "1"}, [], None)]),
    ("[aliexpress/]", [("aliexpress", {}, [], None)]),
    (
        "[aliexpress_link 1 /]x[/aliexpress_link]",
        [("aliexpress_link", {}, ["1"], None), "x[/aliexpress_link]"],
    ),
    # A "/" just before "]" closes the tag, also at the end of an unquoted address.
    (
        "[aliexpress url=https://a.aliexpress.com/_x/]",
        [("aliexpress", {"url": "https://a.aliexpress.com/_x"}, [], None)],
    ),
    (
        '[aliexpress url="https://www.aliexpress.com/item/1.html"]',
        [("aliexpress", {"url": "https://www.aliexpress.com/item/1.html"}, [], None)],
    ),
    # The first closing tag closes: the same tag does not nest.
    (
        "[aliexpress_link 1]a[aliexpress_link 2]b[/aliexpress_link]",
        [("aliexpress_link", {}, ["1"], "a[aliexpress_link 2]b")],
    ),
    ("[aliexpress_link 1]a[/aliexpress]", [("aliexpress_link", {}, ["1"], None), "a[/aliexpress]"]),
    # Escaping with doubled brackets, on both sides only.
    ("[[aliexpress id=1]]", ["[aliexpress id=1]"]),
    ("[[aliexpress_link]x[/aliexpress_link]]", ["[aliexpress_link]x[/aliexpress_link]"]),
    ("[[aliexpress]", ["[", ("aliexpress", {}, [], None)]),
    ("[aliexpress]]", [("aliexpress", {}, [], None), "]"]),
    ("[[[aliexpress]]]", ["[[aliexpress]]"]),
    # Names: exact, case-sensitive, not followed by a word character or "-".
    ("[aliexpress_link id=1]", [("aliexpress_link", {"id": "1"}, [], None)]),
    (
        "[aliexpress_field id=1 field=price]",
        [("aliexpress_field", {"id": "1", "field": "price"}, [], None)],
    ),
    (
        "[aliexpress_links] [aliexpress-x] [aliexpressX]",
        ["[aliexpress_links] [aliexpress-x] [aliexpressX]"],
    ),
    ("[AliExpress id=1] [ALIEXPRESS]", ["[AliExpress id=1] [ALIEXPRESS]"]),
    # A name is looked for only when it is written somewhere followed by a character that
    # cannot be part of a name; then any non-word character may follow it.
    ("[aliexpress.x]", ["[aliexpress.x]"]),
    (
        "[aliexpress.x] [aliexpress]",
        [("aliexpress", {}, [".x"], None), " ", ("aliexpress", {}, [], None)],
    ),
    ("[aliexpress\u00a0id=1]", ["[aliexpress\u00a0id=1]"]),
    (
        "[aliexpress\u00a0id=1][aliexpress 2]",
        [("aliexpress", {"id": "1"}, [], None), ("aliexpress", {}, ["2"], None)],
    ),
    # Unknown tags are text, also around and inside known ones.
    (
        '[gallery ids="1,2"] [aliexpress 1]',
        ['[gallery ids="1,2"] ', ("aliexpress", {}, ["1"], None)],
    ),
    ("[box][aliexpress 1][/box]", ["[box]", ("aliexpress", {}, ["1"], None), "[/box]"]),
    ("[aliexpress_link 1][b]x[/b][/aliexpress_link]", [("aliexpress_link", {}, ["1"], "[b]x[/b]")]),
    # No "]": not a shortcode. A "]" inside a quoted value ends the tag anyway.
    ("[aliexpress id=1", ["[aliexpress id=1"]),
    ('[aliexpress title="a]b"]', [("aliexpress", {}, ['title="a'], None), 'b"]']),
    # Brackets inside HTML tags, comments and CDATA are not read.
    ('<a href="[aliexpress_field 1]">x</a>', ['<a href="[aliexpress_field 1]">x</a>']),
    ("<!-- [aliexpress 1] -->", ["<!-- [aliexpress 1] -->"]),
    ("<![CDATA[ [aliexpress 1] ]]>", ["<![CDATA[ [aliexpress 1] ]]>"]),
    ("<p>[aliexpress 1]</p>", ["<p>", ("aliexpress", {}, ["1"], None), "</p>"]),
    ("1 < 2 [aliexpress 1]", ["1 < 2 [aliexpress 1]"]),  # an unclosed "<" runs to the end
    (
        '[aliexpress title="<x]>" id=1]',
        [("aliexpress", {"title": "<x]>", "id": "1"}, [], None)],
    ),
    ('[aliexpress title="a<b" id=1]', ['[aliexpress title="a<b" id=1]']),
    (
        "[aliexpress_link 1]<span title='[/aliexpress_link]'>x</span>[/aliexpress_link]",
        [("aliexpress_link", {}, ["1"], "<span title='[/aliexpress_link]'>x</span>")],
    ),
    # Everything else is kept byte for byte (WordPress would turn &#91; into &#091;).
    ("&#91;aliexpress&#93; [aliexpress]", ["&#91;aliexpress&#93; ", ("aliexpress", {}, [], None)]),
    ("", []),
    ("no brackets", ["no brackets"]),
]


@pytest.mark.parametrize(("text", "expected"), PARSE_CASES)
def test_texts_are_cut_as_wordpress_cuts_them(text: str, expected: list[object]) -> None:
    assert _shape(parse(text)) == expected


def test_a_shortcode_knows_where_it_was_written() -> None:
    text = 'one [[aliexpress 1] two [aliexpress_link id="2"]x[/aliexpress_link]] three'
    shortcodes = [s for s in parse(text) if isinstance(s, Shortcode)]
    assert [s.source for s in shortcodes] == [
        "[aliexpress 1]",
        '[aliexpress_link id="2"]x[/aliexpress_link]',
    ]
    assert all(text[s.start : s.end] == s.source for s in shortcodes)


def test_only_the_tags_asked_for_are_read() -> None:
    assert _shape(parse("[aliexpress 1][amazon 2]", tags=("amazon",))) == [
        "[aliexpress 1]",
        ("amazon", {}, ["2"], None),
    ]


# --- properties -------------------------------------------------------------------------------


@SETTINGS
@given(TEXTS)
def test_any_text_is_cut_without_error_into_pieces_that_put_it_back_together(text: str) -> None:
    segments = parse(text)
    for before, after in zip(segments, segments[1:], strict=False):
        assert not (isinstance(before, str) and isinstance(after, str)), "text pieces are joined"
    if "[[" not in text and "]]" not in text:
        # Without escaping, nothing is added or lost.
        assert "".join(s if isinstance(s, str) else s.source for s in segments) == text
    for segment in segments:
        if isinstance(segment, Shortcode):
            assert text[segment.start : segment.end] == segment.source
            assert segment.tag in ("aliexpress", "aliexpress_link", "aliexpress_field")


@SETTINGS
@given(TEXTS.filter(lambda text: "[aliexpress" not in text))
def test_text_without_a_shortcode_comes_back_unchanged(text: str) -> None:
    assert parse(text) == ([text] if text else [])


@SETTINGS
@given(st.lists(st.sampled_from(["<", ">", "!", "-", "[", "]", "CDATA", "a", "\n"]), max_size=30))
def test_hiding_brackets_in_one_pass_follows_the_element_rule(pieces: list[str]) -> None:
    text = "".join(pieces)
    expected = list(text)
    for start, end in element_spans(text):
        for i in range(start, end):
            if expected[i] in "[]":
                expected[i] = HIDDEN
    assert hide_brackets_in_tags(text) == "".join(expected)


# --- linear time ------------------------------------------------------------------------------

MIB = 1 << 20
ADVERSARIAL = {
    "openings without a closing bracket": "[aliexpress " * (MIB // 12),
    "unclosed double quotes": '[aliexpress id="' * (MIB // 16) + "]",
    "unclosed single quotes": "[aliexpress x='" * (MIB // 15) + "]",
    "deep opening brackets": "[" * MIB + "aliexpress" + "]" * 16,
    "deep escapes": "[[" * (MIB // 2) + "aliexpress]",
    "openings of enclosing tags without a closing tag": "[aliexpress_link]" * (MIB // 17),
    "one closing tag for many openings": "[aliexpress_link]" * (MIB // 17) + "[/aliexpress_link]",
    "unclosed html before a tag": "<" * MIB + "[aliexpress]",
    "unclosed comments": "<!--" * (MIB // 4) + "[aliexpress]",
    "whitespace after a name": "[aliexpress a" + " " * MIB + "]",
    "names without values": "[aliexpress " + "a=" * (MIB // 2) + "]",
    "backslashes": '[aliexpress title="' + "\\" * MIB + '"]',
    "unclosed html in a value": '[aliexpress title="' + "<" * MIB + '"]',
    "no-break spaces": "[aliexpress " + "\u00a0" * MIB + "]",
}


@pytest.mark.timeout(10, method="thread")
@pytest.mark.parametrize("name", sorted(ADVERSARIAL))
def test_adversarial_text_is_parsed_in_linear_time(name: str) -> None:
    # A backtracking regular expression takes hours on these; ten seconds is generous for
    # one linear pass over a mebibyte on a busy machine.
    segments = parse(ADVERSARIAL[name])
    assert segments


def test_plain_text_has_no_html_tags_to_hide_brackets_in() -> None:
    assert _shape(parse("1 < 2 [aliexpress 1] <!-- [aliexpress 2]", html=False)) == [
        "1 < 2 ",
        ("aliexpress", {}, ["1"], None),
        " <!-- ",
        ("aliexpress", {}, ["2"], None),
    ]


def test_a_text_parsed_again_gives_the_same_segments_which_cannot_be_changed() -> None:
    text = f'<p>[aliexpress id="{EARBUDS}" template=grid]</p>'
    first = parse(text)
    first.append("changed by the caller")
    again = parse(text)
    assert again == first[:-1]
    shortcode = again[1]
    assert isinstance(shortcode, Shortcode)
    with pytest.raises(TypeError):
        shortcode.attrs["template"] = "list"  # type: ignore[index]
    assert parse(text, html=False) == again  # the same text read another way, parsed apart
