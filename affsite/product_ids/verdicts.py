"""What resolving produces: the verdict on one address, the resolution handed to callers.

:class:`Verdict` is what :func:`~affsite.product_ids.classify` makes of an address without the
network (its :class:`Kind` tells the short-link follower whether to go on); :class:`Resolution`
is the answer callers see: a global product id or a plain-language error. :class:`Follower` is
the seam through which short links are followed, so the classifier never depends on the network
code.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Protocol

from affsite.errors import ProductIdError

__all__ = ["ExtractResult", "Follower", "Form", "Kind", "Resolution", "Verdict", "shorten"]


class Kind(StrEnum):
    """What an address turned out to be (the follower needs more than ok/error)."""

    PRODUCT = "product"
    SHORT_LINK = "short_link"  # needs the network; ``Verdict.target`` is the URL to request
    NOT_PRODUCT = "not_product"  # an AliExpress page that can never lead to one product
    OTHER_PAGE = "other_page"  # an AliExpress page without a product id; a redirect may follow
    REFUSED = "refused"  # not an id, not an AliExpress address, or unsafe


class Form(StrEnum):
    """The form an input came in (see :mod:`affsite.product_ids.classify` for examples)."""

    BARE_ID = "bare_id"
    ITEM = "item"
    I_PATH = "i_path"
    STORE_PRODUCT = "store_product"
    QUERY_PARAM = "query_param"
    SHARE_WRAPPER = "share_wrapper"
    AFFILIATE_WRAPPER = "affiliate_wrapper"
    DEEP_LINK = "deep_link"
    INTENT = "intent"
    SHORT_LINK = "short_link"


@dataclass(frozen=True, slots=True, kw_only=True)
class Resolution:
    """The outcome of resolving one input: exactly one of ``id`` and ``error`` is set.

    ``id`` is the global product id (regional ids normalised); ``raw_id`` the id as written;
    ``form`` names the input form, also on errors when known.

    >>> Resolution(input="x", error="not a product").require_id()
    Traceback (most recent call last):
    ...
    affsite.errors.ProductIdError: not a product
    """

    input: str
    id: str | None = None
    raw_id: str | None = None
    form: Form | None = None
    error: str | None = None

    @property
    def ok(self) -> bool:
        return self.id is not None

    def require_id(self) -> str:
        """The product id, or :class:`ProductIdError` carrying the reason.

        :raise ProductIdError: the input does not name exactly one AliExpress product.
        """
        if self.id is None:
            raise ProductIdError(self.error or "not an AliExpress product")
        return self.id

    def to_json(self) -> dict[str, str | None]:
        return {
            "input": self.input,
            "id": self.id,
            "raw_id": self.raw_id,
            "form": None if self.form is None else str(self.form),
            "error": self.error,
        }


@dataclass(frozen=True, slots=True, kw_only=True)
class ExtractResult:
    """Every product found in a text once, in order of first appearance, and what failed."""

    products: list[Resolution]
    failures: list[Resolution]

    @property
    def ids(self) -> list[str]:
        return [r.id for r in self.products if r.id is not None]


@dataclass(frozen=True, slots=True, kw_only=True)
class Verdict:
    """What classifying one address found out, without touching the network."""

    kind: Kind
    id: str | None = None
    raw_id: str | None = None
    form: Form | None = None
    error: str | None = None
    target: str | None = None  # SHORT_LINK: the https URL to request

    def to_resolution(self, text: str) -> Resolution:
        return Resolution(
            input=text, id=self.id, raw_id=self.raw_id, form=self.form, error=self.error
        )


class Follower(Protocol):
    """Turns a short link into a product id over the network (see ``ShortLinkFollower``)."""

    def follow(self, short_url: str) -> Resolution: ...


def shorten(text: str, limit: int = 80) -> str:
    """A piece of the input fit to quote back in a reason: printable, and not too long.

    >>> shorten("\\x1b[31m" + "9" * 100, limit=12)
    '?[31m999999…'
    """
    cleaned = "".join(ch if ch.isprintable() else "?" for ch in text[: limit + 1])
    return cleaned if len(cleaned) <= limit else cleaned[: limit - 1] + "…"
