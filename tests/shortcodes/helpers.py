"""Ids, a fake short-link follower and a text strategy shared by the shortcode tests."""

from __future__ import annotations

from dataclasses import dataclass, field
from html.parser import HTMLParser

from hypothesis import strategies as st

from affsite.product_ids import Resolution

EARBUDS = "1005004757833857"
MUG = "1005001513148147"
SHORT = "https://s.click.aliexpress.com/e/_DdGYnJf"


class FakeFollower:
    """Follows every short link to EARBUDS, recording the links it was asked to follow."""

    def __init__(self) -> None:
        self.followed: list[str] = []

    def follow(self, short_url: str) -> Resolution:
        self.followed.append(short_url)
        return Resolution(input=short_url, id=EARBUDS, raw_id=EARBUDS)


# Texts made mostly of the characters and words shortcode parsing turns on.
PIECES = st.sampled_from(
    [
        "[", "]", "[[", "]]", "/", "/]", "[/", "<", ">", "<!--", "-->", "<![CDATA[", "]]>",
        '"', "'", "=", " ", "\u00a0", "\u200b", "\\", "\n", "x", EARBUDS,
        "aliexpress", "aliexpress_link", "aliexpress_field", "[aliexpress", "[/aliexpress]",
        "[/aliexpress_link]", "id=", "é", "\x00",
    ]
)  # fmt: skip
TEXTS = st.lists(st.one_of(PIECES, st.text(max_size=4)), max_size=40).map("".join)


@dataclass
class Read:
    """What ``html.parser`` (a browser's tokenizer, near enough) makes of the output."""

    tags: list[tuple[str, dict[str, str | None]]] = field(default_factory=list)
    comments: list[str] = field(default_factory=list)
    text: list[str] = field(default_factory=list)


class _Reader(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.read = Read()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.read.tags.append((tag, dict(attrs)))

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.read.tags.append((tag, dict(attrs)))

    def handle_comment(self, data: str) -> None:
        self.read.comments.append(data)

    def handle_data(self, data: str) -> None:
        self.read.text.append(data)

    def handle_decl(self, decl: str) -> None:
        self.read.tags.append(("!" + decl, {}))

    def unknown_decl(self, data: str) -> None:
        self.read.tags.append(("![" + data, {}))


def read_html(html: str) -> Read:
    reader = _Reader()
    reader.feed(html)
    reader.close()
    return reader.read
