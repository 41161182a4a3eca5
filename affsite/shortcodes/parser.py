"""Find shortcodes in a text the way WordPress's ``do_shortcode`` finds them.

The rules, from ``get_shortcode_regex``, ``do_shortcode`` and ``do_shortcode_tag``:

* a shortcode opens with ``[`` and a registered name that is not followed by a word
  character or ``-`` (so ``[aliexpress_link`` is never ``[aliexpress`` with attributes);
  names are matched case-sensitively, and only names that appear somewhere in the text right
  after a ``[`` (up to a character that cannot be in a name: ``& / < > [ ] =``, a space or a
  control character) are looked for at all;
* the attributes run to the first ``]``; a ``/`` just before it makes the tag self-closing;
* otherwise, when ``[/name]`` appears later, everything up to the first one is the content
  (the same tag is never nested: the first closing tag closes);
* ``[[name …]]`` (also with content) is an escaped shortcode: it is printed without its outer
  brackets and not run. A doubled bracket on one side only is printed and the tag is run;
* brackets inside HTML tags, comments and CDATA are not read (see
  :mod:`~affsite.shortcodes.html_tags`), so a shortcode there stays as written.

Everything else comes back byte for byte. Nothing is ever evaluated: content is handed over
as text. WordPress does all of this with one regular expression that backtracks without
bound on text such as ``[aliexpress`` repeated with no ``]``; here each search starts where
the previous one stopped, so the time is linear in the length of the text.

>>> for segment in parse('Buy [aliexpress id="1005001"] or [[aliexpress]] '
...                       '[aliexpress_link 1]now[/aliexpress_link]'):
...     print(repr(segment) if isinstance(segment, str) else
...           (segment.tag, dict(segment.attrs), segment.positional, segment.content))
'Buy '
('aliexpress', {'id': '1005001'}, (), None)
' or [aliexpress] '
('aliexpress_link', {}, ('1',), 'now')
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from types import MappingProxyType

from affsite.shortcodes.attributes import parse_attributes
from affsite.shortcodes.html_tags import hide_brackets_in_tags

__all__ = ["TAGS", "Segment", "Shortcode", "parse"]

TAGS: tuple[str, ...] = ("aliexpress", "aliexpress_link", "aliexpress_field")
"""The registered names, in the order WordPress would try them (the order they were added)."""

# do_shortcode's first pass: the names written right after a "[".
_WRITTEN_NAME = re.compile(r"\[([^<>&/\[\]\x00-\x20=]+)")


@dataclass(frozen=True, kw_only=True, slots=True)
class Shortcode:
    """One shortcode as written: ``source`` is ``text[start:end]``, escaping brackets excluded.

    ``content`` is None for a tag without a closing tag (WordPress hands its callbacks an
    empty string for both; None keeps ``[x][/x]`` and ``[x]`` apart).
    """

    tag: str
    attrs: Mapping[str, str]
    positional: tuple[str, ...]
    content: str | None
    start: int
    end: int
    source: str


Segment = str | Shortcode
"""A piece of a parsed text: text to print as it is, or a shortcode to run."""


def parse(text: str, tags: Sequence[str] = TAGS, *, html: bool = True) -> list[Segment]:
    """``text`` cut into text and shortcodes named in ``tags``; never raises for a ``str``.

    Adjacent text is joined, so text and shortcodes alternate; an empty text gives ``[]``.
    ``html=False`` reads a text that is not HTML, where ``<`` is just a character: brackets
    after it are read like any others.
    """
    if "[" not in text:
        return [text] if text else []
    if len(text) > MAX_REMEMBERED_TEXT:
        return _parse(text, tuple(tags), html)
    return list(_remembered(text, tuple(tags), html))


MAX_REMEMBERED_TEXT = 64 * 1024
"""Texts up to this many characters are parsed once per process (the last 8 of them, a
megabyte or two at most): a site expands the same articles on every page view. Segments are frozen,
so sharing them is safe."""


@functools.lru_cache(maxsize=8)
def _remembered(text: str, tags: tuple[str, ...], html: bool) -> tuple[Segment, ...]:
    return tuple(_parse(text, tags, html))


def _parse(text: str, tags: tuple[str, ...], html: bool) -> list[Segment]:
    present = _names_present(text, tags)
    if not present:
        return [text]
    return _Scanner(text, present, html=html).segments()


def _names_present(text: str, tags: Iterable[str]) -> tuple[str, ...]:
    written = {match.group(1) for match in _WRITTEN_NAME.finditer(text)}
    return tuple(tag for tag in tags if tag in written)


@functools.lru_cache(maxsize=16)
def _opening(names: tuple[str, ...]) -> re.Pattern[str]:
    alternatives = "|".join(re.escape(name) for name in names)
    return re.compile(rf"\[(\[?)({alternatives})(?![A-Za-z0-9_-])")


class _NextAt:
    """The first place of ``needle`` at or after a position that only ever grows.

    Remembering the last answer keeps the total work linear: a new search starts only past
    the previous find, and once there is none there will be none later either.
    """

    def __init__(self, text: str, needle: str) -> None:
        self._text = text
        self._needle = needle
        self._found = -2  # -2: not looked yet; -1: none left

    def at_or_after(self, position: int) -> int:
        if self._found == -1 or self._found >= position:
            return self._found
        self._found = self._text.find(self._needle, position)
        return self._found


class _Scanner:
    def __init__(self, text: str, names: tuple[str, ...], *, html: bool) -> None:
        self._text = text
        # The same length as ``text``: the scanner reads this and slices ``text``.
        self._seen = hide_brackets_in_tags(text) if html else text
        self._opening = _opening(names)
        self._closing_bracket = _NextAt(self._seen, "]")
        self._closing_tags = {name: _NextAt(self._seen, f"[/{name}]") for name in names}
        self._out: list[Segment] = []
        self._pending: list[str] = []

    def segments(self) -> list[Segment]:
        text, seen = self._text, self._seen
        done = 0
        while (opening := self._opening.search(seen, done)) is not None:
            name = opening.group(2)
            bracket = self._closing_bracket.at_or_after(opening.end())
            if bracket < 0:
                break  # no "]" left anywhere: nothing after this can be a shortcode
            attributes_end = bracket
            content: tuple[int, int] | None = None
            end = bracket + 1
            if bracket > opening.end() and seen[bracket - 1] == "/":
                attributes_end = bracket - 1  # self-closing: "[name /]"
            else:
                closing = self._closing_tags[name].at_or_after(end)
                if closing >= 0:
                    content = (end, closing)
                    end = closing + len(name) + 3
            extra_close = seen.startswith("]", end)
            extra_open = opening.group(1) == "["
            start = opening.start()
            self._text_piece(text[done:start])
            if extra_open and extra_close:
                # [[name]] is how authors write a shortcode that must not run.
                self._text_piece(text[start + 1 : end])
            else:
                if extra_open:
                    self._text_piece("[")
                    start += 1
                named, positional = parse_attributes(text[opening.end() : attributes_end])
                self._shortcode(
                    Shortcode(
                        tag=name,
                        attrs=MappingProxyType(named),  # shared by every parse of the text
                        positional=tuple(positional),
                        content=None if content is None else text[content[0] : content[1]],
                        start=start,
                        end=end,
                        source=text[start:end],
                    )
                )
                if extra_close:
                    self._text_piece("]")
            done = end + 1 if extra_close else end
        self._text_piece(text[done:])
        self._flush()
        return self._out

    def _text_piece(self, piece: str) -> None:
        if piece:
            self._pending.append(piece)

    def _shortcode(self, shortcode: Shortcode) -> None:
        self._flush()
        self._out.append(shortcode)

    def _flush(self) -> None:
        if self._pending:
            self._out.append("".join(self._pending))
            self._pending.clear()
