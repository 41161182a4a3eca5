"""The "Cache & limits" settings: how long answers are kept, and how hard the AliExpress API
may be used (limits every worker shares).

Kept apart from the rest of the schema, which lists them in its place on the form.
"""

from __future__ import annotations

from affsite.aliexpress.protocol import MAX_BATCH_SIZE
from affsite.settings.schema_base import Field

__all__ = ["LIMIT_FIELDS"]

LIMIT_FIELDS: tuple[Field, ...] = (
    Field(
        name="cache_ttl",
        label="Cache expiration time",
        help="How long fetched product data counts as fresh. One day (86400) suits most sites.",
        group="limits",
        kind="int",
        env="AFFSITE_CACHE_TTL",
        minimum=60,
        maximum=30 * 86_400,
        unit="seconds",
    ),
    Field(
        name="stale_ttl",
        label="Serve stale for",
        help="When AliExpress is slow, down or has banned the app, product data this much past "
        "its expiration is still shown (with its price date) instead of a gap. 0 turns it off.",
        group="limits",
        kind="int",
        minimum=0,
        maximum=90 * 86_400,
        unit="seconds",
    ),
    Field(
        name="negative_ttl",
        label="Remember unavailable products for",
        help="Products AliExpress does not return (not promotable, removed, not shipped to your "
        "country) are asked for again after this time.",
        group="limits",
        kind="int",
        minimum=60,
        maximum=7 * 86_400,
        unit="seconds",
    ),
    Field(
        name="list_ttl",
        label="List expiration time",
        help="How long the products a search or hot-product list found (shortcodes, snippets "
        "and embeds with search= or hot=) count as fresh before the list is asked for again. "
        "Six hours (21600) keeps lists current at one request per list and period.",
        group="limits",
        kind="int",
        env="AFFSITE_LIST_TTL",
        minimum=60,
        maximum=7 * 86_400,
        unit="seconds",
    ),
    Field(
        name="rate_limit",
        label="Speed limiter",
        help="Maximum API requests per second, for all worker processes together.",
        group="limits",
        kind="float",
        env="AFFSITE_RATE_LIMIT",
        minimum=0.01,
        maximum=100,
        unit="requests/second",
    ),
    Field(
        name="daily_quota",
        label="Daily request quota",
        help="API requests allowed per day (the AliExpress day starts at 00:00 Beijing time). "
        "AliExpress bans the app for the rest of the day when its own quota is exceeded.",
        group="limits",
        kind="int",
        env="AFFSITE_DAILY_QUOTA",
        minimum=1,
        maximum=10_000_000,
        unit="requests/day",
    ),
    Field(
        name="admin_reserve",
        label="Reserved for admin actions",
        help="Part of the daily quota that page views may not use, so checks and refreshes you "
        "start from the admin still work on a busy day.",
        group="limits",
        kind="int",
        minimum=0,
        maximum=10_000_000,
        unit="requests/day",
    ),
    Field(
        name="new_product_share",
        label="New products from public requests",
        help="The JSON API and embeds accept any product ID, so strangers could ask for IDs your "
        "site never shows. At most this share of the daily quota is spent on IDs that are "
        "neither cached nor featured when such a request asks for them. Your own pages and "
        "featured products are never held back by it.",
        group="limits",
        kind="int",
        minimum=0,
        maximum=100,
        unit="% of the quota",
    ),
    Field(
        name="batch_size",
        label="Batch size",
        help=f"Product IDs asked for in one API request (at most {MAX_BATCH_SIZE}). Larger "
        "batches use the daily quota more sparingly.",
        group="limits",
        kind="int",
        env="AFFSITE_BATCH_SIZE",
        minimum=1,
        maximum=MAX_BATCH_SIZE,
        unit="IDs/request",
    ),
)
