"""What a caller chooses when drawing products: a template from a fixed set, and options.

Template names arrive from outside (embed URLs, shortcodes, the CLI), so they are an
allow-list: ``BoxTemplate("../../etc/passwd")`` is a ``ValueError``, never a file path.
``Options`` holds everything else a caller may vary; it is part of the memo key of every
drawn fragment, so an option can never leak into a fragment drawn for other options.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class BoxTemplate(StrEnum):
    """How products are drawn; each is ``templates/boxes/<value>.html``."""

    BOX = "box"  # one product: image, title, price, call to action

    @property
    def path(self) -> str:
        """The template file, relative to the templates folder.

        >>> BoxTemplate("box").path
        'boxes/box.html'
        """
        return f"boxes/{self.value}.html"


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


@dataclass(frozen=True, kw_only=True)
class Options:
    """Choices that change a drawn box, besides the template."""

    heading: Heading = Heading.H3
