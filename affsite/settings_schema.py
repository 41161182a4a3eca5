"""What the settings are: the ``Settings`` contract, and one ``Field`` per setting (type,
label, help text, bounds or choices, environment variable) grouped as the admin form shows
them. Validation lives in ``affsite.settings_values``; storage in ``affsite.settings``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, fields
from typing import Any, Literal

from affsite.countries import COUNTRIES

DEFAULT_API_URL = "https://api-sg.aliexpress.com/sync"
MAX_FEATURED_PRODUCTS = 50


@dataclass(frozen=True)
class Settings:
    app_key: str = ""
    app_secret: str = ""
    tracking_id: str = ""
    country: str = "US"  # ship-to country, ISO 3166-1 alpha-2
    currency: str = "USD"  # target_currency
    language: str = "EN"  # target_language
    cache_ttl: int = 86_400  # seconds a fetched product stays fresh
    stale_ttl: int = 604_800  # seconds past freshness it may still be served when the API fails
    negative_ttl: int = 21_600  # seconds a "not promotable" answer is remembered
    rate_limit: float = 1.0  # gateway requests per second, shared by every worker
    daily_quota: int = 5_000  # gateway requests per Beijing day, shared by every worker
    admin_reserve: int = 100  # part of the daily quota kept for admin actions
    new_product_share: int = 10  # % of the daily quota for ids first asked for anonymously
    batch_size: int = 20  # product ids per productdetail.get call (1..50)
    api_url: str = DEFAULT_API_URL
    sign_method: str = "sha256"  # "sha256" or "md5"
    disclosure: str = (
        "As an AliExpress affiliate we earn from qualifying purchases. Prices may have changed."
    )
    allowed_embed_origins: tuple[str, ...] = ()  # sites allowed to frame our embeds; empty = any
    featured_products: tuple[str, ...] = ()  # global product ids shown on the home page

    @property
    def demo_mode(self) -> bool:
        """True when no credentials are set: the app then talks to the built-in sandbox."""
        return not (self.app_key and self.app_secret)


DEFAULTS = Settings()

# Values AliExpress accepts for target_currency / target_language.
CURRENCIES = (
    "USD", "GBP", "CAD", "EUR", "UAH", "MXN", "TRY", "RUB", "BRL", "AUD",
    "INR", "JPY", "IDR", "SEK", "KRW", "ILS", "THB", "CLP", "VND",
)  # fmt: skip
LANGUAGES = (
    "EN", "RU", "PT", "ES", "FR", "ID", "IT", "TH", "JA", "AR", "VI",
    "TR", "DE", "HE", "KO", "NL", "PL", "MX", "CL", "IW", "IN",
)  # fmt: skip
SIGN_METHODS = ("sha256", "md5")

Kind = Literal["text", "secret", "int", "float", "choice", "url", "textarea", "origins", "products"]


@dataclass(frozen=True)
class Group:
    key: str
    title: str
    intro: str


GROUPS = (
    Group(
        "credentials",
        "Credentials",
        "From the AliExpress Open Platform console (App Key, App Secret) and the AliExpress "
        "Portals affiliate site (Tracking ID). Leave App Key and App Secret empty to stay in "
        "demo mode.",
    ),
    Group(
        "locale",
        "Locale",
        "Who your visitors are: prices, shipping and product texts are fetched for them.",
    ),
    Group(
        "limits",
        "Cache & limits",
        "How long product data is kept and how hard the AliExpress API may be used. Limits "
        "are shared by every worker process.",
    ),
    Group(
        "display",
        "Display & compliance",
        "Text shown next to every product box, and the products your home page features.",
    ),
    Group("embedding", "Embedding", "Which other websites may show your product boxes."),
    Group(
        "gateway",
        "Gateway (advanced)",
        "Change these only when AliExpress asks you to, or to point at a test gateway.",
    ),
)


@dataclass(frozen=True)
class Field:
    """One setting: what it is, how it is entered, and which values are allowed."""

    name: str
    label: str
    help: str
    group: str
    kind: Kind = "text"
    env: str | None = None
    choices: tuple[tuple[str, str], ...] = ()  # (value, label) for kind "choice"
    minimum: float | None = None
    maximum: float | None = None
    max_length: int = 200
    unit: str = ""
    placeholder: str = ""

    @property
    def default(self) -> Any:
        return getattr(DEFAULTS, self.name)

    @property
    def secret(self) -> bool:
        return self.kind == "secret"

    def choice_values(self) -> tuple[str, ...]:
        return tuple(value for value, _ in self.choices)


def days_text(seconds: float) -> str:
    return f"{seconds / 86_400:g} days"


SCHEMA: tuple[Field, ...] = (
    Field(
        "app_key",
        "App Key",
        "The numeric App Key of your app in the AliExpress Open Platform console.",
        "credentials",
        env="AFFSITE_APP_KEY",
        max_length=32,
        placeholder="e.g. 500000",
    ),
    Field(
        "app_secret",
        "App Secret",
        "Shown next to the App Key in the console. Stored on this server only and never "
        "shown again; leave the field blank to keep the stored secret.",
        "credentials",
        kind="secret",
        env="AFFSITE_APP_SECRET",
        max_length=128,
    ),
    Field(
        "tracking_id",
        "Tracking ID",
        "Your tracking ID from AliExpress Portals; it is put into every affiliate link, so "
        "commissions are credited to you. A wrong one makes AliExpress return no products.",
        "credentials",
        env="AFFSITE_TRACKING_ID",
        max_length=64,
        placeholder="e.g. mysite_blog",
    ),
    Field(
        "country",
        "Country",
        "Ship-to country of your visitors (ISO 3166 code). AliExpress only returns products "
        "that ship there, with that country's prices and taxes.",
        "locale",
        kind="choice",
        env="AFFSITE_COUNTRY",
        choices=tuple((code, f"{code} — {name}") for code, name in COUNTRIES.items()),
    ),
    Field(
        "currency",
        "Currency",
        "Currency prices are shown in.",
        "locale",
        kind="choice",
        env="AFFSITE_CURRENCY",
        choices=tuple((code, code) for code in CURRENCIES),
    ),
    Field(
        "language",
        "Language",
        "Language of product titles. IW and IN are older codes for Hebrew (HE) and "
        "Indonesian (ID).",
        "locale",
        kind="choice",
        env="AFFSITE_LANGUAGE",
        choices=tuple((code, code) for code in LANGUAGES),
    ),
    Field(
        "cache_ttl",
        "Cache expiration time",
        "How long fetched product data counts as fresh. One day (86400) suits most sites.",
        "limits",
        kind="int",
        env="AFFSITE_CACHE_TTL",
        minimum=60,
        maximum=30 * 86_400,
        unit="seconds",
    ),
    Field(
        "stale_ttl",
        "Serve stale for",
        "When AliExpress is slow, down or has banned the app, product data this much past "
        "its expiration is still shown (with its price date) instead of a gap. 0 turns it off.",
        "limits",
        kind="int",
        minimum=0,
        maximum=90 * 86_400,
        unit="seconds",
    ),
    Field(
        "negative_ttl",
        "Remember unavailable products for",
        "Products AliExpress does not return (not promotable, removed, not shipped to your "
        "country) are asked for again after this time.",
        "limits",
        kind="int",
        minimum=60,
        maximum=7 * 86_400,
        unit="seconds",
    ),
    Field(
        "rate_limit",
        "Speed limiter",
        "Maximum API requests per second, for all worker processes together.",
        "limits",
        kind="float",
        env="AFFSITE_RATE_LIMIT",
        minimum=0.01,
        maximum=100,
        unit="requests/second",
    ),
    Field(
        "daily_quota",
        "Daily request quota",
        "API requests allowed per day (the AliExpress day starts at 00:00 Beijing time). "
        "AliExpress bans the app for the rest of the day when its own quota is exceeded.",
        "limits",
        kind="int",
        env="AFFSITE_DAILY_QUOTA",
        minimum=1,
        maximum=10_000_000,
        unit="requests/day",
    ),
    Field(
        "admin_reserve",
        "Reserved for admin actions",
        "Part of the daily quota that page views may not use, so checks and refreshes you "
        "start from the admin still work on a busy day.",
        "limits",
        kind="int",
        minimum=0,
        maximum=10_000_000,
        unit="requests/day",
    ),
    Field(
        "new_product_share",
        "New products from public requests",
        "The JSON API and embeds accept any product ID, so strangers could ask for IDs your "
        "site never shows. At most this share of the daily quota is spent on IDs that are "
        "neither cached nor featured when such a request asks for them. Your own pages and "
        "featured products are never held back by it.",
        "limits",
        kind="int",
        minimum=0,
        maximum=100,
        unit="% of the quota",
    ),
    Field(
        "batch_size",
        "Batch size",
        "Product IDs asked for in one API request (at most 50). Larger batches use the "
        "daily quota more sparingly.",
        "limits",
        kind="int",
        env="AFFSITE_BATCH_SIZE",
        minimum=1,
        maximum=50,
        unit="IDs/request",
    ),
    Field(
        "disclosure",
        "Disclosure text",
        "Shown next to every product box. Affiliate programmes and consumer-protection rules "
        "require a clear disclosure near the link.",
        "display",
        kind="textarea",
        max_length=500,
    ),
    Field(
        "featured_products",
        "Featured products",
        "One product per line: an ID or an AliExpress product address (stored as its ID). "
        f"Shown on the home page, in this order; at most {MAX_FEATURED_PRODUCTS}. Short links "
        'are accepted in the "Add products by URL" box below the form.',
        "display",
        kind="products",
        max_length=20_000,
        placeholder="https://www.aliexpress.com/item/1005004757833857.html",
    ),
    Field(
        "allowed_embed_origins",
        "Allowed embedding sites",
        "One site per line, e.g. https://blog.example.com. Only these sites may show your "
        "boxes in an iframe. Leave empty to allow any site.",
        "embedding",
        kind="origins",
        max_length=2000,
        placeholder="https://blog.example.com",
    ),
    Field(
        "api_url",
        "Gateway URL",
        f"Address of the AliExpress API gateway. Default: {DEFAULT_API_URL}",
        "gateway",
        kind="url",
        env="AFFSITE_API_URL",
        max_length=300,
    ),
    Field(
        "sign_method",
        "Sign method",
        "How requests are signed with the App Secret: sha256 (recommended) or md5.",
        "gateway",
        kind="choice",
        env="AFFSITE_SIGN_METHOD",
        choices=(("sha256", "sha256"), ("md5", "md5")),
    ),
)

FIELDS: Mapping[str, Field] = {f.name: f for f in SCHEMA}
ENV_VARS: Mapping[str, str] = {f.env: f.name for f in SCHEMA if f.env}
CREDENTIAL_FIELDS = ("app_key", "app_secret", "tracking_id")

assert set(FIELDS) == {f.name for f in fields(Settings)}, "SCHEMA must describe every setting"
