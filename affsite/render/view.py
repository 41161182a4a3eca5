"""One product as a box shows it: every value checked, formatted and ready for a template.

Templates lay things out; everything that decides what reaches the page happens here, where
it can be tested on its own:

* links: the call to action is ``link_via`` + the id (our ``/go/<id>``) or the product's own
  affiliate link, and only when ``affsite.render.urls`` allows it; images likewise;
* text: the title is kept as text (the environment escapes it when drawn); a product with no
  title is "AliExpress product <id>"; a caller's ``Options.title`` replaces it (schema.org
  data keeps the product's own);
* numbers: prices through ``affsite.render.money`` (Decimal, never float), orders, ratings and
  discounts in the site's language (``1.234``, ``97,8 %``, ``%50``); a value that makes no
  sense is left out, never shown half-formed;
* the rating: the gateway's ``evaluate_rate`` is the share of positive feedback (0-100 %);
  out of five it is that share of five stars (96 % is 4.8), to one decimal;
* the struck-through price only when it is higher, in the same currency; the discount only
  next to it;
* schema.org data (``affsite.render.structured``) only while the price is fresh.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from babel.numbers import format_decimal, format_percent
from markupsafe import Markup

from affsite.catalog.answers import ProductAnswer, Status
from affsite.render.box_settings import BoxSettings
from affsite.render.choices import Options
from affsite.render.environment import utc_iso, utc_text
from affsite.render.money import format_money, locale_for
from affsite.render.structured import product_json_ld
from affsite.render.urls import image_url, link_url, product_page_url

MAX_ORDERS = 10**9  # beyond this a count is a gateway error, not a number of orders
STARS = 5  # what a rating is "out of"
_TENTH = Decimal("0.1")


@dataclass(frozen=True, kw_only=True)
class ProductView:
    """What a template shows for one available product (None fields are left out)."""

    id: str
    title: str  # never empty
    own_title: bool  # the title is the caller's (Options.title), drawn whole
    link: str | None  # the call to action's href
    image: str | None
    price: str | None
    was: str | None  # the struck-through original price
    discount: str | None  # "50%"
    rating: str | None  # "97.8%" positive feedback
    stars: str | None  # the same out of five: "4.9"
    orders: str | None  # "1,234"
    as_of: str | None  # ISO 8601 for <time datetime>
    as_of_text: str | None
    stale: bool
    json_ld: Markup | None


@dataclass(frozen=True, kw_only=True)
class MissingView:
    """A product with nothing to show: its id, and the plain link to its page (if any)."""

    id: str
    page_link: str | None


def view_of(answer: ProductAnswer, look: BoxSettings, options: Options) -> ProductView:
    """The view of an available answer.

    :raise ValueError: the answer has no product.
    """
    product = answer.product
    if product is None:
        raise ValueError("an unavailable answer has no product view")
    title = product.title if isinstance(product.title, str) and product.title.strip() else None
    shown_title = options.title or title or f"AliExpress product {answer.id}"
    link = _call_to_action(answer, options)
    image = image_url(product.image, look.demo_media)
    if image and image.startswith("/") and not image.startswith("//") and options.media_root:
        image = options.media_root + image  # one of our own paths, checked by image_url
    price = format_money(
        getattr(product.price, "amount", None),
        getattr(product.price, "currency", None),
        look.language,
    )
    # Every price carries the time it was fetched; one that cannot be dated is not shown.
    as_of = answer.fetched_at if price and _is_moment(answer.fetched_at) else None
    if as_of is None:
        price = None
    was = _original(answer, look) if price else None
    fresh = answer.status in (Status.HIT, Status.MISS)
    json_ld = None
    if look.json_ld and fresh and price and title and product.price is not None:
        json_ld = product_json_ld(name=title, price=product.price, image=image)
    return ProductView(
        id=answer.id,
        title=shown_title,
        own_title=options.title is not None,
        link=link,
        image=image,
        price=price,
        was=was,
        discount=_percent(product.discount_percent, look.language, whole=True) if was else None,
        rating=_percent(product.rating_percent, look.language, whole=False),
        stars=_stars(product.rating_percent, look.language),
        orders=_orders(product.orders, look.language),
        as_of=utc_iso(as_of) if as_of is not None else None,
        as_of_text=utc_text(as_of) if as_of is not None else None,
        stale=answer.status is Status.STALE,
        json_ld=json_ld,
    )


def missing_view(answer: ProductAnswer, options: Options) -> MissingView:
    """The view of an answer with nothing to show. Its plain link goes through ``link_via``
    only for a product AliExpress said it does not promote (``/go/`` knows it and sends the
    visitor to its page); any other failure links straight to the product's page, which
    ``/go/`` may not know."""
    page = product_page_url(answer.id)
    if page is not None and options.link_via is not None and answer.status is Status.NEGATIVE:
        return MissingView(id=answer.id, page_link=f"{options.link_via}{answer.id}")
    return MissingView(id=str(answer.id)[:64], page_link=page)


def _call_to_action(answer: ProductAnswer, options: Options) -> str | None:
    product = answer.product
    assert product is not None
    page = product_page_url(answer.id)
    if options.link_via is not None and page is not None:
        # Our own /go/<id>: the id is digits (product_page_url checked), the base checked
        # by Options; /go/ finds the affiliate link and counts the click.
        return f"{options.link_via}{answer.id}"
    return link_url(product.promotion_link) or link_url(product.detail_url) or page


def _original(answer: ProductAnswer, look: BoxSettings) -> str | None:
    product = answer.product
    assert product is not None
    now, then = product.price, product.original_price
    if now is None or then is None:
        return None
    if then.currency != now.currency or not then.amount > now.amount:
        return None
    return format_money(then.amount, then.currency, look.language)


def _is_moment(value: object) -> bool:
    # A fetch time a <time> can show: seconds since 1970, before the year 10000.
    return isinstance(value, int | float) and 0 <= value < 253_402_300_800


def _percent(value: object, language: str, *, whole: bool) -> str | None:
    """``value`` (0-100) as the site's language writes a percentage (to one decimal, or
    whole); None when it is not a percentage.

    >>> _percent(Decimal("97.84"), "EN", whole=False), _percent(Decimal("50"), "DE", whole=True)
    ('97.8%', '50\xa0%')
    >>> _percent(Decimal("50"), "TR", whole=True), _percent(Decimal("97.0"), "EN", whole=False)
    ('%50', '97%')
    >>> _percent(Decimal("NaN"), "EN", whole=True), _percent(150, "EN", whole=True)
    (None, None)
    """
    number = _share(value)
    if number is None:
        return None
    rounded = number.quantize(Decimal(1) if whole else _TENTH, rounding=ROUND_HALF_UP)
    return str(
        format_percent(rounded / 100, locale=locale_for(language), decimal_quantization=False)
    )


def _stars(value: object, language: str) -> str | None:
    """A positive-feedback rate (0-100 %) out of five stars, to one decimal, as the site's
    language writes it; None when it is not a percentage.

    >>> _stars(Decimal("96"), "EN"), _stars(Decimal("97.8"), "DE"), _stars(100, "EN")
    ('4.8', '4,9', '5.0')
    >>> _stars(Decimal("0"), "EN"), _stars("95%", "EN")
    (None, None)
    """
    number = _share(value)
    if number is None:
        return None
    stars = (number * STARS / 100).quantize(_TENTH, rounding=ROUND_HALF_UP)
    return str(format_decimal(stars, format="0.0", locale=locale_for(language)))


def _share(value: object) -> Decimal | None:
    # A percentage the gateway could mean: a finite number above 0 and at most 100 ("0.0%"
    # is what it sends for a product no one has rated yet).
    if not isinstance(value, Decimal | int) or isinstance(value, bool):
        return None
    number = Decimal(value)
    if not number.is_finite() or not 0 < number <= 100:
        return None
    return number


def _orders(value: object, language: str) -> str | None:
    """A count of orders as the site's language writes it; None for none or nonsense.

    >>> _orders(1234, "EN"), _orders(1234, "DE"), _orders(0, "EN"), _orders(-1, "EN")
    ('1,234', '1.234', None, None)
    """
    if not isinstance(value, int) or isinstance(value, bool) or not 0 < value < MAX_ORDERS:
        return None
    return str(format_decimal(value, locale=locale_for(language)))
