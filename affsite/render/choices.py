"""What a caller chooses when drawing products: a template from a fixed set, and options.

Template names, themes and the other choices arrive from outside (embed URLs, shortcodes,
the CLI), so each is an allow-list: ``BoxTemplate("../../etc/passwd")`` is a ``ValueError``,
never a file path. ``Options`` holds everything else a caller may vary; it is part of the
memo key of every drawn fragment, so an option can never leak into a fragment drawn for
other options. Its free text (the button text, the title) is cut and cleaned here, and
escaped when drawn.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum

from affsite.settings.display import MAX_BUTTON_TEXT

MAX_TITLE = 200  # characters of a title given by the caller; longer text is cut

__all__ = [
    "MAX_BUTTON_TEXT",
    "MAX_TITLE",
    "BoxField",
    "BoxTemplate",
    "Heading",
    "LinkTarget",
    "Options",
    "Page",
    "Theme",
    "Unavailable",
    "clean_text",
    "link_base",
    "site_root",
]


class BoxTemplate(StrEnum):
    """How products are drawn; each is ``templates/boxes/<value>.html`` (one product)."""

    BOX = "box"  # one product: image, title, rating, orders, price, call to action
    GRID = "grid"  # cards side by side
    LIST = "list"  # one row per product
    TABLE = "table"  # a comparison table (cards on narrow screens)
    COMPACT = "compact"  # one line per product with a thumbnail
    BUTTON = "button"  # a call-to-action button
    LINK = "link"  # a text link
    FIELD = "field"  # one value (price, title, discount, rating or orders), inline

    @property
    def path(self) -> str:
        """The template file, relative to the templates folder.

        >>> BoxTemplate("box").path
        'boxes/box.html'
        """
        return f"boxes/{self.value}.html"

    @property
    def inline(self) -> bool:
        """Drawn inside a ``<span>``, so it can sit in a sentence (phrasing content).

        >>> BoxTemplate.LINK.inline, BoxTemplate.GRID.inline
        (True, False)
        """
        return self in _INLINE


_INLINE = frozenset({BoxTemplate.BUTTON, BoxTemplate.LINK, BoxTemplate.FIELD})


class Page(StrEnum):
    """Whole pages the renderer draws around boxes (embeds shown inside other sites)."""

    IFRAME = "embed/iframe.html"  # /embed/iframe/<id>: one box as a page of its own
    NOT_FOUND = "embed/not_found.html"  # an embed address that names no product


class Heading(StrEnum):
    """The heading level of a product's title: ``h1`` on a page of its own, lower inside a
    page that has its own headings."""

    H1 = "h1"
    H2 = "h2"
    H3 = "h3"
    H4 = "h4"

    @property
    def below(self) -> Heading:
        """The next level down (``h4`` stays ``h4``): product titles under a block's heading.

        >>> Heading.H2.below, Heading.H4.below
        (<Heading.H3: 'h3'>, <Heading.H4: 'h4'>)
        """
        return Heading(f"h{min(int(self.value[1]) + 1, 4)}")


class Theme(StrEnum):
    """Colours of a box: fixed light or dark, or the visitor's preference (auto)."""

    LIGHT = "light"
    DARK = "dark"
    AUTO = "auto"  # prefers-color-scheme


class BoxField(StrEnum):
    """What the ``field`` template shows; a product without that value shows nothing."""

    PRICE = "price"  # the price and when it was fetched
    TITLE = "title"
    DISCOUNT = "discount"  # "50%" off the struck-through price, only next to a dated price
    RATING = "rating"  # "4.8 out of 5": the positive-feedback rate scaled to five
    ORDERS = "orders"  # the recent orders count, "1,234"


class LinkTarget(StrEnum):
    """Where a call to action opens."""

    NEW_TAB = "new_tab"  # target=_blank, announced to screen readers
    SAME_TAB = "same_tab"  # target=_top: the whole tab, also from inside an iframe

    @property
    def attribute(self) -> str:
        """The ``target`` attribute's value.

        >>> LinkTarget.NEW_TAB.attribute, LinkTarget.SAME_TAB.attribute
        ('_blank', '_top')
        """
        return "_blank" if self is LinkTarget.NEW_TAB else "_top"


class Unavailable(StrEnum):
    """What a product with nothing to show (not promotable, not fetched) is drawn as."""

    MESSAGE = "message"  # a short message saying it is not available
    LINK = "link"  # a plain link to the product's page, without a price
    HIDE = "hide"  # nothing at all


# A base for call-to-action links: a path (``/go/``) or an http(s) origin with a path
# (``https://shop.example/go/``), always ending in ``/``; nothing else can reach ``href``.
_LINK_BASE = re.compile(
    r"(?:https?://[a-z0-9](?:[a-z0-9.-]{0,252}[a-z0-9])?(?::[0-9]{1,5})?)?"
    r"(?:/[A-Za-z0-9._~-]+)*/"
)
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u200b-\u200f\u202a-\u202e\u2066-\u2069]")


def clean_text(text: str, limit: int) -> str:
    """Free text as one line: control and bidi-override characters dropped, whitespace
    collapsed, at most ``limit`` characters.

    >>> clean_text("  Buy\\n now\\u202e  ", 60)
    'Buy now'
    >>> clean_text("x" * 80, 5)
    'xxxxx'
    """
    return " ".join(_CONTROL.sub(" ", text).split())[:limit].strip()


def link_base(base: str) -> str:
    """``base`` when calls to action may point under it (see ``Options.link_via``).

    >>> link_base("/go/"), link_base("https://shop.example/go/")
    ('/go/', 'https://shop.example/go/')
    >>> for bad in ("//evil.example/", "javascript:alert(1)//", "/go", "https://a@b.example/"):
    ...     try:
    ...         link_base(bad)
    ...     except ValueError:
    ...         print("refused", bad)
    refused //evil.example/
    refused javascript:alert(1)//
    refused /go
    refused https://a@b.example/
    """
    if not isinstance(base, str) or not _LINK_BASE.fullmatch(base) or base.startswith("//"):
        raise ValueError(f"not a base for links: {base[:80]!r}; use e.g. '/go/'")
    return base


_SITE_ROOT = re.compile(
    r"https?://[a-z0-9](?:[a-z0-9.-]{0,252}[a-z0-9])?(?::[0-9]{1,5})?(?:/[A-Za-z0-9._~-]+)*"
)


def site_root(root: str) -> str:
    """``root`` when it may stand before this site's own paths (see ``Options.media_root``).

    >>> site_root("https://shop.example"), site_root("http://127.0.0.1:5000/shop")
    ('https://shop.example', 'http://127.0.0.1:5000/shop')
    >>> for bad in ("/shop", "https://shop.example/", "https://a@b.example", "javascript:x"):
    ...     try:
    ...         site_root(bad)
    ...     except ValueError:
    ...         print("refused", bad)
    refused /shop
    refused https://shop.example/
    refused https://a@b.example
    refused javascript:x
    """
    if not isinstance(root, str) or not _SITE_ROOT.fullmatch(root):
        raise ValueError(f"not a site address: {root[:80]!r}; use e.g. 'https://shop.example'")
    return root


@dataclass(frozen=True, kw_only=True, slots=True)
class Options:
    """Choices that change a drawn box, besides the template.

    ``theme`` and ``button_text`` left None take the site's settings. ``link_via`` is where
    calls to action point: None for the affiliate link itself, or a base such as ``/go/``
    or ``https://shop.example/go/`` (boxes shown on other sites go through our own
    ``/go/<id>``, which counts the click and redirects to AliExpress). ``media_root`` is
    this site's absolute address (``https://shop.example``, no trailing ``/``) for boxes shown
    on other sites: pictures this site serves itself (the sandbox's, in demo mode) are then
    drawn with it, so they load there too.

    ``title`` is the caller's own words for what is drawn (one clean line, at most
    ``MAX_TITLE`` characters; longer text is cut). With one product it replaces the product's
    title wherever the template shows one (the link's text too); with several it heads the
    block (a table's caption) and the products keep their titles, one heading level down.
    Inline templates have no heading, so with several products they show no title. Schema.org
    data always names the product by its own title.
    """

    heading: Heading = Heading.H3
    theme: Theme | None = None
    button_text: str | None = None
    title: str | None = None
    field: BoxField = BoxField.PRICE
    target: LinkTarget = LinkTarget.NEW_TAB
    link_via: str | None = None
    media_root: str | None = None

    def __post_init__(self) -> None:
        # Enum members, not look-alike strings: the memo key and the templates compare them.
        object.__setattr__(self, "heading", Heading(self.heading))
        object.__setattr__(self, "field", BoxField(self.field))
        object.__setattr__(self, "target", LinkTarget(self.target))
        if self.theme is not None:
            object.__setattr__(self, "theme", Theme(self.theme))
        if self.button_text is not None:
            text = clean_text(str(self.button_text), MAX_BUTTON_TEXT)
            object.__setattr__(self, "button_text", text or None)
        if self.title is not None:
            object.__setattr__(self, "title", clean_text(str(self.title), MAX_TITLE) or None)
        if self.link_via is not None:
            object.__setattr__(self, "link_via", link_base(self.link_via))
        if self.media_root is not None:
            object.__setattr__(self, "media_root", site_root(self.media_root))
