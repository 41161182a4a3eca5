"""Every product in a longer text (an article, a pasted list), each once, in linear time.

The text is read line by line. A line holding only a number is an id; otherwise one scan of the
line finds the candidates: URLs, scheme-less addresses on AliExpress-like hosts, and standalone
numbers. Each candidate is then resolved like a single input.

Pasted text is up to 1 MiB of anything, so the scan must not backtrack: every repetition in the
candidate pattern is possessive or cannot fail once it has started, a scheme-less host is
checked by one look-ahead over its run of host characters before any label is matched, and a
match never starts inside a run that an earlier attempt already scanned. Cutting punctuation off
a URL's end is one backward pass.

>>> extract_all("See https://www.aliexpress.com/item/1005001513148147.html, or id 32807670869.").ids
['1005001513148147', '32807670869']
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from affsite.product_ids.classify import classify
from affsite.product_ids.resolve import finish
from affsite.product_ids.verdicts import ExtractResult, Follower, Form, Kind, Resolution

__all__ = ["MAX_SHORT_LINKS_PER_TEXT", "MAX_TEXT_LENGTH", "extract_all"]

MAX_TEXT_LENGTH = 1_000_000
"""``extract_all`` reads at most this many characters of a text."""

MAX_SHORT_LINKS_PER_TEXT = 50
"""``extract_all`` follows at most this many short links in one text (each costs requests)."""

# URLs with a scheme we understand, protocol-relative URLs with a dotted host, and scheme-less
# addresses whose host names AliExpress (look-alikes included, so they are reported).
_URL_CHARS = r"[^\s<>\"'`\\\[\]{}|^]"
_TEXT_CANDIDATE = re.compile(
    rf"""
      (?P<url>
          \b(?:https?|intent|aliexpress(?:hd)?)://{_URL_CHARS}++
        | (?<![\w:/.])//[A-Za-z0-9-]++\.[A-Za-z0-9.-]++{_URL_CHARS}*+
        | (?<![\w@.%/-])
          # The whole run of host characters must be dot-separated labels ending at a path,
          # query or fragment; checked once, so the label search below never has to fail late.
          (?=(?:[A-Za-z0-9-]++\.)*+[A-Za-z0-9-]++[/?#])
          (?:[A-Za-z0-9-]++\.)*(?:aliexpress(?:\.[A-Za-z0-9-]++)++|ali\.click)
          [/?#]{_URL_CHARS}*+
      )
    | (?<![^\s(\[{{<>"'“‘«*|])(?P<id>[1-9][0-9]{{8,18}}+)(?![\w/%\-=&?#@+]|[.,:;]\w)
    """,
    re.VERBOSE | re.IGNORECASE,
)
# A line holding nothing but a number (optionally after a list marker) is meant as an id, so it
# gets the full bare-id rules and errors, whatever its length.
_ID_LINE = re.compile(r"[ \t]*+(?:[-*•+][ \t]++|[0-9]{1,3}[.)][ \t]++)?([0-9]++)[ \t]*+")
_TRAILING_PUNCTUATION = frozenset(".,;:!?*_~'\"")
_HTML_AMP = re.compile(r"&(?:amp|#38|#x26);", re.IGNORECASE)


def extract_all(
    text: str, *, offline: bool = False, follower: Follower | None = None
) -> ExtractResult:
    """Every AliExpress product referenced in ``text``, each once, in order of first appearance.

    Candidates are URLs (with a scheme, protocol-relative, or scheme-less on an AliExpress-like
    host), lines that hold only a number (optionally after a list marker), and standalone
    numbers in prose. A number in prose counts only when it has 9 to 19 digits without a leading
    zero, and stands alone: after a space, a line start, an opening bracket or quote, ``>``,
    ``*`` or ``|``; and not followed by a letter, digit, ``/``, ``%``, ``-``, ``=``, ``&``,
    ``?``, ``#``, ``@``, ``+``, or a ``.``/``,``/``:``/``;`` that runs on into more characters.
    That keeps out years, prices (``$1,299.99``), times, decimals, numbers glued to words or
    labels (``#8123…``, ``sku_id=…``) and numbers inside addresses that are not AliExpress ones;
    no real product id has fewer than 9 digits. Plain 9+ digit numbers in prose (a phone number
    without separators, a timestamp) still count: paste such text as a list of addresses
    instead. Numbers in prose that are not product ids are skipped silently; every other
    candidate that fails is reported in ``failures`` with its reason. Short links are followed
    by ``follower`` (at most :data:`MAX_SHORT_LINKS_PER_TEXT`), or fail when ``offline``.
    Takes time linear in the length of ``text``; never raises for a ``str`` input.
    """
    products: list[Resolution] = []
    failures: list[Resolution] = []
    seen_ids: set[str] = set()
    seen_inputs: set[str] = set()
    short_links_followed = 0
    if len(text) > MAX_TEXT_LENGTH:
        failures.append(
            Resolution(
                input=text[:80],
                error=f"text too long: only the first {MAX_TEXT_LENGTH:,} characters were read",
            )
        )
        text = text[:MAX_TEXT_LENGTH]
    for candidate in _candidates(text):
        if candidate in seen_inputs:
            continue
        seen_inputs.add(candidate)
        verdict = classify(candidate)
        if verdict.kind is Kind.SHORT_LINK and not offline:
            if short_links_followed >= MAX_SHORT_LINKS_PER_TEXT:
                failures.append(
                    Resolution(
                        input=candidate,
                        form=Form.SHORT_LINK,
                        error=f"more than {MAX_SHORT_LINKS_PER_TEXT} short links in one text; "
                        "this one was not followed",
                    )
                )
                continue
            short_links_followed += 1
        result = finish(candidate, verdict, offline=offline, follower=follower)
        if result.id is None:
            failures.append(result)
        elif result.id not in seen_ids:
            seen_ids.add(result.id)
            products.append(result)
    return ExtractResult(products=products, failures=failures)


def _candidates(text: str) -> Iterator[str]:
    for line in text.splitlines():
        whole = _ID_LINE.fullmatch(line)
        if whole is not None:
            yield whole.group(1)
            continue
        for match in _TEXT_CANDIDATE.finditer(line):
            url = match.group("url")
            if url is None:
                yield match.group("id")
                continue
            url = _trim_url_end(_HTML_AMP.sub("&", url))
            if url:
                yield url


def _trim_url_end(url: str) -> str:
    """Drop sentence punctuation and unbalanced closing brackets glued to the end of a URL.

    One pass from the end, keeping the bracket balance as it goes (no rescans, no copies).

    >>> _trim_url_end("https://x.aliexpress.com/a_(b)).")
    'https://x.aliexpress.com/a_(b)'
    """
    opened = url.count("(")
    closed = url.count(")")
    end = len(url)
    while end:
        last = url[end - 1]
        if last in _TRAILING_PUNCTUATION:
            end -= 1
        elif last == ")" and opened < closed:
            closed -= 1
            end -= 1
        else:
            break
    return url[:end]
