"""A shortcode that cannot be drawn, and the HTML comment that stands in for it.

The reason is for the author (a bad id, an unknown template, an address that leads to no
product), so it goes where the author looks and the visitor does not: an HTML comment in
place of the tag, and the list ``affsite expand --check`` prints. The reason may quote what
the author wrote, so the comment is built to stay a comment whatever that was.

>>> Problem(reason='unknown template "x-->" <script>', source="[aliexpress]", start=0).comment()
Markup('<!-- affsite: [aliexpress] unknown template "x-&gt;" &lt;script&gt; -->')
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from markupsafe import Markup

__all__ = ["MAX_REASON", "MAX_SOURCE", "Problem", "shorten"]

MAX_REASON = 300
MAX_SOURCE = 80

_UNPRINTABLE = re.compile(
    r"[\x00-\x1f\x7f-\x9f\u200b-\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]"
)
_DASHES = re.compile(r"-{2,}")


@dataclass(frozen=True, kw_only=True, slots=True)
class Problem:
    """Why the shortcode ``source`` (as written, shortened) starting at ``start`` was not drawn.

    ``line`` is its line in the text (1-based), filled in when the whole text is known.
    """

    reason: str
    source: str
    start: int
    line: int = 0

    def comment(self) -> Markup:
        """``<!-- affsite: <source> <reason> -->``, with nothing in it that could end it early."""
        text = f"{shorten(self.source, MAX_SOURCE)} {shorten(self.reason, MAX_REASON)}"
        # With no "<" or ">" left and no two dashes in a row, nothing in it ("-->", "--!>",
        # "<!--") can end the comment or open another: it ends where it is meant to.
        safe = _DASHES.sub("-", text.replace("<", "&lt;").replace(">", "&gt;"))
        return Markup(f"<!-- affsite: {safe} -->")  # noqa: S704

    def __str__(self) -> str:
        where = f"line {self.line}: " if self.line else ""
        return f"{where}{shorten(self.source, MAX_SOURCE)} {shorten(self.reason, MAX_REASON)}"


def shorten(text: str, limit: int) -> str:
    """``text`` on one line with control and direction-changing characters replaced by
    spaces, cut to ``limit`` characters with an ellipsis.

    >>> shorten("a\\nb\\u202ec" + "x" * 20, 8)
    'a b cxx…'
    """
    flat = _UNPRINTABLE.sub(" ", text[: limit * 4])
    flat = " ".join(flat.split())
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"
