"""Where HTML tags, comments and CDATA sections sit in a text, so brackets in them are not read.

WordPress splits content with ``wp_html_split`` before it looks for shortcodes: every ``<``
starts an element that runs to the next ``>`` (a comment to ``-->``, a CDATA section to
``]]>``), or to the end of the text when there is none. With ``do_shortcode($content,
ignore_html = true)`` the ``[`` and ``]`` inside those elements are hidden from the shortcode
scanner (encoded as ``&#91;``/``&#93;`` and decoded afterwards), so a shortcode in an HTML
attribute or a comment stays exactly as written. Affsite always works that way: its boxes are
HTML, and HTML has no place inside another tag's attribute.

:func:`hide_brackets_in_tags` gives a copy of the text of the same length in which those
brackets are replaced by :data:`HIDDEN`; the scanner reads the copy and slices the original.

>>> hide_brackets_in_tags('<a title="[x]">[y]</a><!-- [z] -->')
'<a title="\\x00x\\x00">[y]</a><!-- \\x00z\\x00 -->'
"""

from __future__ import annotations

import re
from collections.abc import Iterator

__all__ = ["HIDDEN", "element_spans", "hide_brackets_in_tags"]

HIDDEN = "\x00"
"""Stands for a hidden bracket: neither ``[``, ``]`` nor ``/``, so the scanner passes over it."""

_HIDE = str.maketrans({"[": HIDDEN, "]": HIDDEN})
# wp_html_split's elements. A comment ends at the first "-->" counted from just after "<!"
# (so "<!-->" is a whole comment), a CDATA section at the first "]]>"; either runs to the end
# of the text when it is never closed. Each alternative reads forward only: no backtracking.
_ELEMENT = re.compile(r"(<(?:!(?=--)(?:.*?-->|.*)|!\[CDATA\[(?:.*?\]\]>|.*)|[^>]*>?))", re.DOTALL)


def element_spans(text: str) -> Iterator[tuple[int, int]]:
    """``(start, end)`` of every element ``wp_html_split`` finds, in order, without overlaps.

    Each ``find`` starts where the previous element ended, so the whole text is read once.

    >>> list(element_spans("a<b>c<!-- x > y -->d<![CDATA[ ] ]]>e<f"))
    [(1, 4), (5, 19), (20, 35), (36, 38)]
    """
    end = 0
    length = len(text)
    while (start := text.find("<", end)) >= 0:
        if text.startswith("!--", start + 1):
            # The comment rule consumes the dashes of "<!--" itself, so "<!-->" ends at once.
            close = text.find("-->", start + 2)
            end = length if close < 0 else close + 3
        elif text.startswith("![CDATA[", start + 1):
            close = text.find("]]>", start + 9)
            end = length if close < 0 else close + 3
        else:
            close = text.find(">", start + 1)
            end = length if close < 0 else close + 1
        yield start, end


def hide_brackets_in_tags(text: str) -> str:
    """``text`` with every ``[`` and ``]`` inside an element replaced by :data:`HIDDEN`."""
    if "<" not in text:
        return text
    # split() with the element captured alternates text and elements, and runs in C: this is
    # on the path of every document, unlike element_spans, which says the same rule in steps.
    pieces = _ELEMENT.split(text)
    pieces[1::2] = [element.translate(_HIDE) for element in pieces[1::2]]
    return "".join(pieces)
