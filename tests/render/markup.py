"""Reading drawn boxes back with ``html.parser``, the way a browser's tokenizer would, and
checking everything that could make them unsafe or invalid on someone else's page."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from html.parser import HTMLParser

# What boxes may contain; anything else means product data became markup.
ALLOWED_TAGS = frozenset(
    [
        "a",
        "article",
        "caption",
        "div",
        "h1",
        "h2",
        "h3",
        "h4",
        "img",
        "li",
        "p",
        "s",
        "script",
        "span",
        "table",
        "tbody",
        "td",
        "tfoot",
        "th",
        "thead",
        "time",
        "tr",
        "ul",
    ]
)
VOID_TAGS = frozenset({"img"})
ALLOWED_ATTRIBUTES = frozenset(
    [
        "alt",
        "aria-hidden",
        "class",
        "colspan",
        "data-label",
        "data-product-id",
        "datetime",
        "decoding",
        "dir",
        "height",
        "href",
        "loading",
        "rel",
        "role",
        "scope",
        "src",
        "target",
        "type",
        "width",
    ]
)
# Attributes whose value is only ever text for people; product text may say anything there.
TEXT_ATTRIBUTES = frozenset({"alt"})
_IMAGE_SRC = re.compile(r"https://[a-z0-9.-]+\.alicdn\.com/[^\s\"'<>]+|/sandbox-media/[\w.-]+")
_ALIEXPRESS_HREF = re.compile(r"https://(?:[a-z0-9-]+\.)*aliexpress\.(?:com|us|ru)/[^\s\"'<>\\\\]*")


@dataclass
class Element:
    tag: str
    attrs: dict[str, str]
    text: str = ""


@dataclass
class Parsed:
    elements: list[Element] = field(default_factory=list)
    scripts: list[str] = field(default_factory=list)
    text: str = ""

    def find(self, tag: str, **attrs: str) -> list[Element]:
        return [
            e
            for e in self.elements
            if e.tag == tag and all(e.attrs.get(k.replace("_", "-")) == v for k, v in attrs.items())
        ]

    def with_class(self, name: str) -> list[Element]:
        return [e for e in self.elements if name in e.attrs.get("class", "").split()]


class _Reader(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parsed = Parsed()
        self.open: list[Element] = []
        self.problems: list[str] = []
        self._texts: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = {name: value or "" for name, value in attrs}
        if len(values) != len(attrs):
            self.problems.append(f"<{tag}> repeats an attribute")
        element = Element(tag, values)
        self.parsed.elements.append(element)
        if tag not in VOID_TAGS:
            self.open.append(element)

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.problems.append(f"self-closing <{tag}/>")
        self.handle_starttag(tag, attrs)

    def handle_endtag(self, tag: str) -> None:
        if not self.open or self.open[-1].tag != tag:
            expected = self.open[-1].tag if self.open else "nothing"
            self.problems.append(f"</{tag}> closes {expected}")
            return
        self.open.pop()

    def handle_data(self, data: str) -> None:
        if self.open and self.open[-1].tag == "script":
            self.parsed.scripts.append(data)
            return
        self._texts.append(data)

    def handle_comment(self, data: str) -> None:
        self.problems.append("a comment")

    def handle_decl(self, decl: str) -> None:
        self.problems.append(f"a declaration {decl!r}")

    def handle_pi(self, data: str) -> None:
        self.problems.append("a processing instruction")

    def unknown_decl(self, data: str) -> None:
        self.problems.append("an unknown declaration")


def parse(html: str) -> Parsed:
    reader = _Reader()
    reader.feed(html)
    reader.close()
    reader.parsed.text = "".join(reader._texts)
    if reader.open:
        reader.problems.append(f"unclosed {[e.tag for e in reader.open]}")
    assert not reader.problems, reader.problems
    return reader.parsed


def check_safe(html: str, *, link_base: str | None = None, media_root: str | None = None) -> Parsed:
    """Parse ``html`` and check it: balanced, only box tags and attributes, no event
    handler, every URL allowed (AliExpress links, our ``link_base`` + digits, image hosts),
    scripts only JSON-LD that parses, no ``javascript:`` in any attribute but alt text."""
    parsed = parse(html)
    for element in parsed.elements:
        assert element.tag in ALLOWED_TAGS, f"<{element.tag}> in {html[:200]}"
        for name, value in element.attrs.items():
            assert name in ALLOWED_ATTRIBUTES, f"{name}= on <{element.tag}>"
            assert not name.startswith("on")
            if name not in TEXT_ATTRIBUTES:
                assert "javascript:" not in value.lower().replace("\t", "").replace("\n", "")
                assert "<" not in value and ">" not in value, (name, value)
        if "href" in element.attrs:
            assert _href_allowed(element.attrs["href"], link_base), element.attrs["href"]
            assert element.attrs.get("rel") == "sponsored nofollow noopener"
        if "src" in element.attrs:
            src = element.attrs["src"]
            if media_root is not None and src.startswith(media_root + "/"):
                src = src[len(media_root) :]
            assert _IMAGE_SRC.fullmatch(src), element.attrs["src"]
        if element.tag == "script":
            assert element.attrs == {"type": "application/ld+json"}
    for script in parsed.scripts:
        assert "<" not in script
        json.loads(script)
    return parsed


def _href_allowed(href: str, link_base: str | None) -> bool:
    if link_base is not None and href.startswith(link_base):
        return href[len(link_base) :].isdigit()
    return bool(_ALIEXPRESS_HREF.fullmatch(href))
