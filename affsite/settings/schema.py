"""What the settings are: the ``Settings`` contract, and one ``Field`` per setting (type,
label, help text, bounds or choices, environment variable) grouped as the admin form shows
them. Validation lives in ``affsite.settings.values``; storage in ``affsite.settings.store``.
The contract and the building blocks are in ``schema_base``, the cache and limit fields in
``schema_limits``; every name is available from here.

What the gateway fixes (its address, the sign methods, the batch maximum) comes from
``affsite.aliexpress``: the settings follow the client, never the other way round.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import fields

from affsite.aliexpress.protocol import DEFAULT_API_URL
from affsite.aliexpress.signing import SIGN_METHODS
from affsite.settings import display
from affsite.settings.countries import COUNTRIES
from affsite.settings.schema_base import DEFAULTS, Field, Group, Kind, Settings, days_text
from affsite.settings.schema_limits import LIMIT_FIELDS

__all__ = [
    "CREDENTIAL_FIELDS",
    "CURRENCIES",
    "DEFAULTS",
    "DEFAULT_API_URL",
    "ENV_VARS",
    "FIELDS",
    "GROUPS",
    "LANGUAGES",
    "MAX_FEATURED_PRODUCTS",
    "SCHEMA",
    "SIGN_METHODS",
    "Field",
    "Group",
    "Kind",
    "Settings",
    "days_text",
]

MAX_FEATURED_PRODUCTS = 50

# Values AliExpress accepts for target_currency / target_language.
CURRENCIES = (
    "USD", "GBP", "CAD", "EUR", "UAH", "MXN", "TRY", "RUB", "BRL", "AUD",
    "INR", "JPY", "IDR", "SEK", "KRW", "ILS", "THB", "CLP", "VND",
)  # fmt: skip
LANGUAGES = (
    "EN", "RU", "PT", "ES", "FR", "ID", "IT", "TH", "JA", "AR", "VI",
    "TR", "DE", "HE", "KO", "NL", "PL", "MX", "CL", "IW", "IN",
)  # fmt: skip

GROUPS = (
    Group(
        key="credentials",
        title="Credentials",
        intro="From the AliExpress Open Platform console (App Key, App Secret) and the AliExpress "
        "Portals affiliate site (Tracking ID). Leave App Key and App Secret empty to stay in "
        "demo mode.",
    ),
    Group(
        key="locale",
        title="Locale",
        intro="Who your visitors are: prices, shipping and product texts are fetched for them.",
    ),
    Group(
        key="limits",
        title="Cache & limits",
        intro="How long product data is kept and how hard the AliExpress API may be used. Limits "
        "are shared by every worker process.",
    ),
    Group(
        key="display",
        title="Display & compliance",
        intro="How boxes look, the text shown next to every box, and your home page's products.",
    ),
    Group(
        key="embedding",
        title="Embedding",
        intro="Which other websites may show your product boxes.",
    ),
    Group(
        key="gateway",
        title="Gateway (advanced)",
        intro="Change these only when AliExpress asks you to, or to point at a test gateway.",
    ),
)


SCHEMA: tuple[Field, ...] = (
    Field(
        name="app_key",
        label="App Key",
        help="The numeric App Key of your app in the AliExpress Open Platform console.",
        group="credentials",
        env="AFFSITE_APP_KEY",
        max_length=32,
        placeholder="e.g. 500000",
    ),
    Field(
        name="app_secret",
        label="App Secret",
        help="Shown next to the App Key in the console. Stored on this server only and never "
        "shown again; leave the field blank to keep the stored secret.",
        group="credentials",
        kind="secret",
        env="AFFSITE_APP_SECRET",
        max_length=128,
    ),
    Field(
        name="tracking_id",
        label="Tracking ID",
        help="Your tracking ID from AliExpress Portals; it is put into every affiliate link, so "
        "commissions are credited to you. A wrong one makes AliExpress return no products.",
        group="credentials",
        env="AFFSITE_TRACKING_ID",
        max_length=64,
        placeholder="e.g. mysite_blog",
    ),
    Field(
        name="country",
        label="Country",
        help="Ship-to country of your visitors (ISO 3166 code). AliExpress only returns products "
        "that ship there, with that country's prices and taxes.",
        group="locale",
        kind="choice",
        env="AFFSITE_COUNTRY",
        choices=tuple((code, f"{code} — {name}") for code, name in COUNTRIES.items()),
    ),
    Field(
        name="currency",
        label="Currency",
        help="Currency prices are shown in.",
        group="locale",
        kind="choice",
        env="AFFSITE_CURRENCY",
        choices=tuple((code, code) for code in CURRENCIES),
    ),
    Field(
        name="language",
        label="Language",
        help="Language of product titles. IW and IN are older codes for Hebrew (HE) and "
        "Indonesian (ID).",
        group="locale",
        kind="choice",
        env="AFFSITE_LANGUAGE",
        choices=tuple((code, code) for code in LANGUAGES),
    ),
    *LIMIT_FIELDS,
    Field(
        name="disclosure",
        label="Disclosure text",
        help="Shown next to every product box. Affiliate programmes and consumer-protection rules "
        "require a clear disclosure near the link.",
        group="display",
        kind="textarea",
        max_length=500,
    ),
    Field(
        name="box_template",
        label="Default box template",
        help="How products are drawn when an embed, snippet or shortcode does not name a template.",
        group="display",
        kind="choice",
        choices=display.BOX_TEMPLATES,
    ),
    Field(
        name="box_theme",
        label="Theme",
        help="Colours of the boxes. Automatic follows each visitor's light or dark setting; "
        "choose Light or Dark to match a site that does not change.",
        group="display",
        kind="choice",
        choices=display.BOX_THEMES,
    ),
    Field(
        name="button_text",
        label="Button text",
        help="The words on every call-to-action button, e.g. View on AliExpress or Check price.",
        group="display",
        max_length=display.MAX_BUTTON_TEXT,
        placeholder="View on AliExpress",
    ),
    Field(
        name="unavailable_display",
        label="Unavailable products",
        help="What a box shows for a product AliExpress does not return right now (no longer "
        "promotable, not shipped to your country, or not fetched yet).",
        group="display",
        kind="choice",
        choices=display.UNAVAILABLE_DISPLAYS,
    ),
    Field(
        name="json_ld",
        label="Product structured data",
        help="Adds schema.org Product data (name, price, currency, availability) for search "
        "engines next to each box, only while its price is fresh.",
        group="display",
        kind="flag",
        choices=display.FLAG_CHOICES,
    ),
    Field(
        name="featured_products",
        label="Featured products",
        help="One product per line: an ID or an AliExpress product address (stored as its ID). "
        f"Shown on the home page, in this order; at most {MAX_FEATURED_PRODUCTS}. Short links "
        'are accepted in the "Add products by URL" box below the form.',
        group="display",
        kind="products",
        max_length=20_000,
        placeholder="https://www.aliexpress.com/item/1005004757833857.html",
    ),
    Field(
        name="allowed_embed_origins",
        label="Allowed embedding sites",
        help="One site per line, e.g. https://blog.example.com. Only these sites may show your "
        "boxes in an iframe. Leave empty to allow any site.",
        group="embedding",
        kind="origins",
        max_length=2000,
        placeholder="https://blog.example.com",
    ),
    Field(
        name="api_url",
        label="Gateway URL",
        help=f"Address of the AliExpress API gateway. Default: {DEFAULT_API_URL}",
        group="gateway",
        kind="url",
        env="AFFSITE_API_URL",
        max_length=300,
    ),
    Field(
        name="sign_method",
        label="Sign method",
        help="How requests are signed with the App Secret: sha256 (recommended) or md5.",
        group="gateway",
        kind="choice",
        env="AFFSITE_SIGN_METHOD",
        choices=tuple((method, method) for method in SIGN_METHODS),
    ),
)

FIELDS: Mapping[str, Field] = {f.name: f for f in SCHEMA}
ENV_VARS: Mapping[str, str] = {f.env: f.name for f in SCHEMA if f.env}
CREDENTIAL_FIELDS = ("app_key", "app_secret", "tracking_id")

assert set(FIELDS) == {f.name for f in fields(Settings)}, "SCHEMA must describe every setting"
