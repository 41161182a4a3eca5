"""A shortcode's attributes, read as WordPress's ``shortcode_parse_atts`` reads them.

The forms, tried in this order at each place: ``name="value"``, ``name='value'``,
``name=value``, ``"value"``, ``'value'``, ``value``; each must be followed by whitespace or the
end. Names are lower-cased; values go through PHP's ``stripcslashes``. No-break spaces
(U+00A0) and zero-width spaces (U+200B) count as whitespace (a run of them is one space). A
value with an unclosed HTML tag (a ``<`` with no ``>`` after it) is blanked. ``\\w`` and
``\\s`` mean ASCII, as in PCRE without the ``u`` flag.

Two PHP details are kept because authors can see them: an attribute named ``0`` is dropped
(PHP's ``empty("0")``), and so is an empty quoted positional value (``""``). One is not: PHP
keeps named and positional values in one array, where a name made of digits (``1="x"``)
becomes an index that positional values may overwrite; here names and positions are kept
apart, and no affsite tag has a name made of digits.

>>> parse_attributes(' ID="1005" title=\\'A "b"\\' grid')
({'id': '1005', 'title': 'A "b"'}, ['grid'])
>>> parse_attributes(' title="a<b" c=\\\\x41')
({'title': '', 'c': 'A'}, [])
"""

from __future__ import annotations

import re

__all__ = ["closes_its_html", "parse_attributes", "stripcslashes"]

_SPACE = r"[ \t\n\x0b\f\r]"  # PCRE's \s in the C locale
_NAME = r"([A-Za-z0-9_-]+)"  # [\w-]+
_ATTRIBUTE = re.compile(
    rf'{_NAME}{_SPACE}*={_SPACE}*"([^"]*)"(?:{_SPACE}|$)'
    rf"|{_NAME}{_SPACE}*={_SPACE}*'([^']*)'(?:{_SPACE}|$)"
    rf"|{_NAME}{_SPACE}*={_SPACE}*([^ \t\n\x0b\f\r'\"]+)(?:{_SPACE}|$)"
    rf'|"([^"]*)"(?:{_SPACE}|$)'
    rf"|'([^']*)'(?:{_SPACE}|$)"
    rf"|([^ \t\n\x0b\f\r]+)(?:{_SPACE}|$)"
)
_WIDE_SPACES = re.compile("[\u00a0\u200b]+")

_C_ESCAPE = re.compile(rb"\\(?:x([0-9A-Fa-f]{1,2})|([0-7]{1,3})|(.))", re.DOTALL)
_C_LETTERS = {
    b"n": b"\n",
    b"r": b"\r",
    b"a": b"\x07",
    b"t": b"\t",
    b"v": b"\x0b",
    b"b": b"\x08",
    b"f": b"\x0c",
}


def parse_attributes(text: str) -> tuple[dict[str, str], list[str]]:
    """The named and the positional values in ``text`` (what follows a shortcode's name).

    Matches never overlap and each starts at the first non-space character after the last,
    so the text is read in time linear in its length.
    """
    named: dict[str, str] = {}
    positional: list[str] = []
    text = _WIDE_SPACES.sub(" ", text)
    for match in _ATTRIBUTE.finditer(text):
        name1, value1, name2, value2, name3, value3, quoted2, quoted1, bare = match.groups()
        # PHP tests ``!empty($m[1])``, and "0" is empty in PHP: such a name is dropped.
        if name1 is not None and name1 != "0":
            named[name1.lower()] = stripcslashes(value1)
        elif name2 is not None and name2 != "0":
            named[name2.lower()] = stripcslashes(value2)
        elif name3 is not None and name3 != "0":
            named[name3.lower()] = stripcslashes(value3)
        elif quoted2:
            positional.append(stripcslashes(quoted2))
        elif quoted1:
            positional.append(stripcslashes(quoted1))
        elif bare is not None:
            positional.append(stripcslashes(bare))
    # WordPress drops values that would open an HTML tag the value never closes (a "<" may
    # also come from an escape such as \x3c).
    if "<" in text or "\\" in text:
        for name, value in named.items():
            if not closes_its_html(value):
                named[name] = ""
        positional = ["" if not closes_its_html(value) else value for value in positional]
    return named, positional


def closes_its_html(value: str) -> bool:
    """Whether every ``<`` in ``value`` has a ``>`` after it (``^[^<]*+(?:<[^>]*+>[^<]*+)*+$``).

    >>> closes_its_html("a <b>bold</b>"), closes_its_html("1 < 2"), closes_its_html("a > b")
    (True, False, True)
    """
    done = 0
    while (opening := value.find("<", done)) >= 0:
        closing = value.find(">", opening + 1)
        if closing < 0:
            return False
        done = closing + 1
    return True


def stripcslashes(value: str) -> str:
    """PHP's ``stripcslashes``: C escapes (``\\n``, ``\\t``, ``\\x41``, ``\\101``…) become the
    bytes they name, any other escaped character stands for itself, and a lone backslash at
    the end is kept. PHP works on UTF-8 bytes, so this does too; bytes that end up forming no
    character read as U+FFFD.

    >>> stripcslashes(r"a\\tb\\x41\\101\\q\\\\"), stripcslashes("\\\\")
    ('a\\tbAAq\\\\', '\\\\')
    >>> stripcslashes(r"caf\\xc3\\xa9")
    'café'
    """
    if "\\" not in value:
        return value
    raw = _C_ESCAPE.sub(_unescape, value.encode("utf-8", "surrogatepass"))
    return raw.decode("utf-8", "replace")


def _unescape(match: re.Match[bytes]) -> bytes:
    hexadecimal, octal, other = match.groups()
    if hexadecimal is not None:
        return bytes([int(hexadecimal, 16)])
    if octal is not None:
        return bytes([int(octal, 8) & 0xFF])  # PHP casts to char: "\777" is 0xFF
    return _C_LETTERS.get(other, other)
