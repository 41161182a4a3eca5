"""The settings a site owner edits on /admin/settings.

``Settings`` is the contract every layer reads (field names and types are stable). Around it:

* ``SCHEMA``: one ``Field`` per setting (type, label, help text, default, bounds or choices,
  environment variable). It drives validation, the admin form and the defaults.
* ``SettingsStore``: the JSON file ``<instance>/settings.json`` (mode 0600, replaced
  atomically), read per request so a save reaches every worker process without a restart,
  with ``AFFSITE_*`` environment variables taking precedence over stored values.
* ``get_settings()`` / ``settings_store()`` for code running inside a Flask request. Layers
  below the catalog never import Flask: they are handed ``store.load`` as a
  ``Callable[[], Settings]``.

Flask is imported lazily inside the two accessors so that importing ``Settings`` stays free of
web dependencies.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import logging
import math
import os
import re
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal
from urllib.parse import urlsplit

from affsite.countries import COMMON_MISTAKES, COUNTRIES
from affsite.errors import AffsiteError, SettingsError
from affsite.files import ensure_private_dir, write_private_file

if TYPE_CHECKING:
    from flask import Flask

log = logging.getLogger(__name__)

DEFAULT_API_URL = "https://api-sg.aliexpress.com/sync"
SETTINGS_FILE = "settings.json"
EXTENSION_KEY = "affsite.settings"
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


class SettingsStorageError(AffsiteError, OSError):
    """The settings file could not be written; the previous settings stay in force."""

    fix = (
        "Make sure the instance folder exists, is writable by the affsite user and the disk "
        "is not full, then save again."
    )


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


def _days(seconds: float) -> str:
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


# --- validation -------------------------------------------------------------------------

_APP_KEY = re.compile(r"[0-9]{1,32}")
_TRACKING_ID = re.compile(r"[A-Za-z0-9_\-]{1,64}")
_SECRET = re.compile(r"[!-~]{1,128}")  # printable ASCII, no spaces
_HOST = re.compile(r"[a-z0-9]([a-z0-9\-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9\-]*[a-z0-9])?)*")


class _Invalid(ValueError):
    """A value failed validation; the message names the field and the fix."""


def _quote(value: object) -> str:
    text = str(value)
    return repr(text if len(text) <= 40 else text[:40] + "…")


def number_text(value: float) -> str:
    """A number as people write it: no exponent, no trailing ``.0``."""
    return str(int(value)) if value == int(value) else f"{value:.10f}".rstrip("0").rstrip(".")


def _bounds_text(f: Field) -> str:
    low, high = f.minimum or 0, f.maximum or 0
    text = f"between {number_text(low)} and {number_text(high)}"
    if f.unit == "seconds" and high is not None and high >= 86_400:
        text += f" ({_days(high)})"
    return text


def _parse_text(f: Field, raw: object) -> str:
    if not isinstance(raw, str):
        raise _Invalid(f"{f.label}: must be text.")
    value = raw.strip()
    if len(value) > f.max_length:
        raise _Invalid(f"{f.label}: is {len(value)} characters long; use at most {f.max_length}.")
    if any(ord(c) < 32 and c not in "\n\t" for c in value):
        raise _Invalid(f"{f.label}: contains control characters; type it as plain text.")
    return value


def _parse_app_key(f: Field, raw: object) -> str:
    value = _parse_text(f, raw)
    if value and not _APP_KEY.fullmatch(value):
        raise _Invalid(
            f"{f.label}: {_quote(value)} is not an App Key; copy the number (digits only, "
            "e.g. 500000) from the AliExpress Open Platform console."
        )
    return value


def _parse_secret(f: Field, raw: object) -> str:
    # Never put the value itself into a message: messages end up in pages and logs.
    value = _parse_text(f, raw)
    if value and not _SECRET.fullmatch(value):
        raise _Invalid(
            f"{f.label}: contains spaces or characters a secret never has; copy it again "
            "from the AliExpress Open Platform console (without spaces)."
        )
    return value


def _parse_tracking_id(f: Field, raw: object) -> str:
    value = _parse_text(f, raw)
    if value and not _TRACKING_ID.fullmatch(value):
        raise _Invalid(
            f"{f.label}: {_quote(value)} is not a tracking ID; use the ID exactly as shown "
            "in AliExpress Portals (letters, digits, '_' and '-', at most 64)."
        )
    return value


def _parse_country(f: Field, raw: object) -> str:
    value = _parse_text(f, raw).upper()
    if value in COUNTRIES:
        return value
    hint = COMMON_MISTAKES.get(value)
    if hint:
        raise _Invalid(
            f"{f.label}: {_quote(value)} is not a two-letter ISO 3166 code; "
            f"use {hint} ({COUNTRIES[hint]})."
        )
    raise _Invalid(
        f"{f.label}: {_quote(value)} is not a two-letter ISO 3166 code; use e.g. US, DE, FR."
    )


def _parse_choice(f: Field, raw: object) -> str:
    text = _parse_text(f, raw)
    value = text.lower() if f.name == "sign_method" else text.upper()
    allowed = f.choice_values()
    if value in allowed:
        return value
    what = {"currency": "a currency", "language": "a language"}.get(f.name, "a value")
    raise _Invalid(
        f"{f.label}: {_quote(text)} is not {what} AliExpress accepts; "
        f"choose one of {', '.join(allowed)}."
    )


def _parse_number(f: Field, raw: object, *, integer: bool) -> float:
    kind = "a whole number" if integer else "a number"
    if isinstance(raw, bool):
        raise _Invalid(f"{f.label}: must be {kind}.")
    number: float
    if isinstance(raw, int | float):
        number = raw
    elif isinstance(raw, str):
        text = raw.strip().replace(",", "") if integer else raw.strip()
        if not text:
            raise _Invalid(f"{f.label}: is empty; enter {kind} {_bounds_text(f)}.")
        try:
            number = int(text) if integer else float(text)
        except ValueError:
            raise _Invalid(
                f"{f.label}: {_quote(raw.strip())} is not {kind}; enter {kind} {_bounds_text(f)}."
            ) from None
    else:
        raise _Invalid(f"{f.label}: must be {kind}.")
    if not math.isfinite(number):
        raise _Invalid(f"{f.label}: must be {kind} {_bounds_text(f)}.")
    if integer and number != int(number):
        raise _Invalid(
            f"{f.label}: {number_text(number)} is not {kind}; enter {kind} {_bounds_text(f)}."
        )
    if (f.minimum is not None and number < f.minimum) or (
        f.maximum is not None and number > f.maximum
    ):
        unit = f" {f.unit}" if f.unit else ""
        raise _Invalid(
            f"{f.label}: {number_text(number)}{unit} is out of range; "
            f"enter {kind} {_bounds_text(f)}."
        )
    return number


def _parse_url(f: Field, raw: object) -> str:
    value = _parse_text(f, raw)
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise _Invalid(
            f"{f.label}: {_quote(value)} is not an http(s) address; use e.g. {DEFAULT_API_URL}"
        )
    if parts.username or parts.password or parts.fragment:
        raise _Invalid(
            f"{f.label}: must not contain a user name, password or '#' part; "
            f"use e.g. {DEFAULT_API_URL}"
        )
    return value


def _parse_origin(f: Field, item: str) -> str:
    parts = urlsplit(item.strip().rstrip("/"))
    try:
        port_ok = parts.port is None or 0 < parts.port < 65_536
    except ValueError:
        port_ok = False
    host = (parts.hostname or "").lower()
    if (
        parts.scheme.lower() not in ("http", "https")
        or not _HOST.fullmatch(host)
        or not port_ok
        or parts.path
        or parts.query
        or parts.fragment
        or parts.username
        or parts.password
    ):
        raise _Invalid(
            f"{f.label}: {_quote(item.strip())} is not a site address; write it as "
            "https://example.com (scheme and host only, no path)."
        )
    port = f":{parts.port}" if parts.port else ""
    return f"{parts.scheme.lower()}://{host}{port}"


def _parse_origins(f: Field, raw: object) -> tuple[str, ...]:
    if isinstance(raw, str):
        if len(raw) > f.max_length:
            raise _Invalid(f"{f.label}: is too long; list at most 50 sites.")
        items = [item for item in re.split(r"[\s,]+", raw) if item]
    elif isinstance(raw, list | tuple) and all(isinstance(item, str) for item in raw):
        items = list(raw)
    else:
        raise _Invalid(f"{f.label}: must be a list of site addresses.")
    if len(items) > 50:
        raise _Invalid(f"{f.label}: lists {len(items)} sites; at most 50 are allowed.")
    origins: list[str] = []
    for item in items:
        origin = _parse_origin(f, item)
        if origin not in origins:
            origins.append(origin)
    return tuple(origins)


def _parse_products(f: Field, raw: object) -> tuple[str, ...]:
    # Offline on purpose: validation must not wait on the network. Short links are resolved
    # by the "Add products by URL" box, which then saves plain ids here.
    from affsite.product_ids import resolve

    if isinstance(raw, str):
        if len(raw) > f.max_length:
            raise _Invalid(
                f"{f.label}: is too long; list at most {MAX_FEATURED_PRODUCTS} products."
            )
        items = [line.strip() for line in raw.splitlines() if line.strip()]
    elif isinstance(raw, list | tuple) and all(isinstance(item, str) for item in raw):
        items = [item.strip() for item in raw if item.strip()]
    else:
        raise _Invalid(f"{f.label}: must be a list of product IDs or addresses.")
    ids: list[str] = []
    unusable: list[str] = []
    for item in items:
        found = resolve(item, offline=True)
        if found.id is None:
            unusable.append(f"{_quote(item)} ({found.error})")
        elif found.id not in ids:
            ids.append(found.id)
    if unusable:
        listed = "; ".join(unusable[:3]) + ("; …" if len(unusable) > 3 else "")
        raise _Invalid(
            f"{f.label}: not product references: {listed}. Paste each product's address or "
            "its numeric ID on a line of its own."
        )
    if len(ids) > MAX_FEATURED_PRODUCTS:
        raise _Invalid(
            f"{f.label}: lists {len(ids)} products; at most {MAX_FEATURED_PRODUCTS} are allowed."
        )
    return tuple(ids)


def _parse_disclosure(f: Field, raw: object) -> str:
    value = " ".join(_parse_text(f, raw).split())
    if not value:
        raise _Invalid(
            f"{f.label}: must not be empty; affiliate links need a visible disclosure, "
            f"e.g. {DEFAULTS.disclosure!r}"
        )
    return value


def parse_value(name: str, raw: object) -> Any:
    """Validate and normalise one raw value (form text, environment text or stored JSON).

    :raise SettingsError: with one message naming the field and the fix.
    """
    f = FIELDS.get(name)
    if f is None:
        raise SettingsError({name: f"{name}: is not a setting affsite knows."})
    try:
        return _parse_field(f, raw)
    except _Invalid as exc:
        raise SettingsError({name: str(exc)}) from None


def _parse_field(f: Field, raw: object) -> Any:
    if f.name == "app_key":
        return _parse_app_key(f, raw)
    if f.name == "tracking_id":
        return _parse_tracking_id(f, raw)
    if f.name == "country":
        return _parse_country(f, raw)
    if f.name == "disclosure":
        return _parse_disclosure(f, raw)
    if f.kind == "secret":
        return _parse_secret(f, raw)
    if f.kind == "choice":
        return _parse_choice(f, raw)
    if f.kind == "int":
        return int(_parse_number(f, raw, integer=True))
    if f.kind == "float":
        return float(_parse_number(f, raw, integer=False))
    if f.kind == "url":
        return _parse_url(f, raw)
    if f.kind == "origins":
        return _parse_origins(f, raw)
    if f.kind == "products":
        return _parse_products(f, raw)
    return _parse_text(f, raw)


def cross_check(values: Settings) -> dict[str, str]:
    """Rules that involve more than one field; maps field name -> message."""
    errors: dict[str, str] = {}
    if values.admin_reserve >= values.daily_quota:
        label = FIELDS["admin_reserve"].label
        errors["admin_reserve"] = (
            f"{label}: {values.admin_reserve} leaves nothing of the daily quota "
            f"({values.daily_quota}) for page views; use a number below {values.daily_quota}."
        )
    return errors


def validate(changes: Mapping[str, object], base: Settings = DEFAULTS) -> Settings:
    """Apply raw ``changes`` to ``base`` and return the result, or raise one SettingsError
    carrying a message for every invalid field (nothing is applied partially).
    """
    errors: dict[str, str] = {}
    parsed: dict[str, Any] = {}
    for name, raw in changes.items():
        try:
            parsed[name] = parse_value(name, raw)
        except SettingsError as exc:
            errors.update(exc.errors)
    if errors:
        raise SettingsError(errors)
    result = replace(base, **parsed)
    errors = cross_check(result)
    if errors:
        raise SettingsError(errors)
    return result


def to_json(values: Settings) -> dict[str, Any]:
    """The stored form of ``values`` (tuples become lists)."""
    data: dict[str, Any] = {}
    for f in SCHEMA:
        value = getattr(values, f.name)
        data[f.name] = list(value) if isinstance(value, tuple) else value
    return data


def form_text(name: str, value: object) -> str:
    """How a typed value is shown in the admin form."""
    if isinstance(value, tuple | list):
        return "\n".join(str(item) for item in value)
    if isinstance(value, float):
        return number_text(value)
    return str(value)


def mask_secret(secret: str) -> str:
    """Bullets plus the last 4 characters (none of them for short values)."""
    if not secret:
        return ""
    tail = secret[-4:] if len(secret) >= 12 else ""
    return "•" * 8 + tail


# --- the store --------------------------------------------------------------------------


@dataclass(frozen=True)
class Problem:
    """A setting that is not as it should be; ``message`` never contains a secret."""

    field: str  # a setting's name, or "settings.json" when the whole file is unreadable
    message: str
    source: Literal["environment", "file"]


@dataclass(frozen=True)
class SettingsState:
    """One consistent reading of the settings."""

    settings: Settings  # what the app uses: stored values with environment overrides
    stored: Settings  # the file alone (defaults for anything missing or invalid)
    env_fields: Mapping[str, str]  # field name -> environment variable now in force
    problems: tuple[Problem, ...] = field(default=())

    def missing_fields(self) -> list[str]:
        """Credentials not set (the app runs in demo mode without App Key and Secret)."""
        return [name for name in CREDENTIAL_FIELDS if not getattr(self.settings, name)]

    def problem_fields(self) -> list[str]:
        """Fields that are missing or invalid, each named once, in schema order."""
        names = set(self.missing_fields()) | {p.field for p in self.problems}
        ordered = [f.name for f in SCHEMA if f.name in names]
        return ordered + sorted(names - set(ordered))

    @property
    def complete(self) -> bool:
        return not self.problem_fields()


_CacheKey = tuple[tuple[int, int, int] | None, tuple[tuple[str, str], ...]]


class SettingsStore:
    """``<instance>/settings.json`` plus environment overrides.

    ``load()`` is cheap enough to call on every request: the file is parsed again only when
    its inode, size or modification time changed (a save from any process replaces the
    file, so it is seen on the next request).
    """

    def __init__(
        self, instance_path: Path | str, *, environ: Mapping[str, str] | None = None
    ) -> None:
        self.instance_path = Path(instance_path)
        self.path = self.instance_path / SETTINGS_FILE
        self._environ = environ if environ is not None else os.environ
        self._cached: tuple[_CacheKey, SettingsState] | None = None

    # reading

    def load(self) -> Settings:
        """The settings in force now (stored values, environment overrides applied)."""
        return self.state().settings

    def state(self) -> SettingsState:
        key = (self._file_signature(), self._env_snapshot())
        cached = self._cached
        if cached is not None and cached[0] == key:
            return cached[1]
        state = self._read(key[1])
        self._cached = (key, state)
        return state

    def _file_signature(self) -> tuple[int, int, int] | None:
        try:
            st = self.path.stat()
        except FileNotFoundError:
            return None
        return (st.st_ino, st.st_size, st.st_mtime_ns)

    def _env_snapshot(self) -> tuple[tuple[str, str], ...]:
        # Empty variables count as unset (compose files often define them blank).
        return tuple((name, value) for name in ENV_VARS if (value := self._environ.get(name, "")))

    def _read(self, env: tuple[tuple[str, str], ...]) -> SettingsState:
        stored, problems = self._read_file()
        effective: dict[str, Any] = {}
        env_fields: dict[str, str] = {}
        for var, raw in env:
            name = ENV_VARS[var]
            try:
                effective[name] = parse_value(name, raw)
                env_fields[name] = var
            except SettingsError as exc:
                fallback = "" if FIELDS[name].secret else f" ({getattr(stored, name)!r})"
                problems.append(
                    Problem(
                        name,
                        f"{var}: {exc.errors[name]} The stored value{fallback} is used instead.",
                        "environment",
                    )
                )
        settings = replace(stored, **effective)
        for name, message in cross_check(settings).items():
            problems.append(Problem(name, message, "environment" if env_fields else "file"))
        return SettingsState(settings, stored, env_fields, tuple(problems))

    def _read_file(self) -> tuple[Settings, list[Problem]]:
        problems: list[Problem] = []
        try:
            data = json.loads(self.path.read_bytes())
        except FileNotFoundError:
            return DEFAULTS, problems
        except (OSError, ValueError) as exc:
            log.error("settings file %s is unreadable (%s); using defaults", self.path, exc)
            message = (
                f"The settings file {self.path} is unreadable; defaults are in force. Save "
                "the settings page to write a new one."
            )
            return DEFAULTS, [Problem(SETTINGS_FILE, message, "file")]
        if not isinstance(data, dict):
            data = {}
        values: dict[str, Any] = {}
        for name, raw in data.items():
            if name not in FIELDS:
                continue  # written by a newer version, or hand-edited: ignore
            try:
                values[name] = parse_value(name, raw)
            except SettingsError as exc:
                problems.append(Problem(name, f"{exc.errors[name]} (in {self.path})", "file"))
        return replace(DEFAULTS, **values), problems

    # writing

    def save(self, changes: Mapping[str, object]) -> Settings:
        """Validate ``changes`` against the stored settings and write the result.

        All or nothing: on any invalid value ``SettingsError`` (``.errors`` maps each field
        to its message) is raised and the file is not touched. The file is replaced
        atomically with mode 0600. Returns the settings now in force.

        :raise SettingsError: some values are invalid.
        :raise SettingsStorageError: the file could not be written (old file intact).
        """
        ensure_private_dir(self.instance_path)
        with self._write_lock():
            before, _ = self._read_file()
            after = validate(changes, before)
            payload = json.dumps(to_json(after), indent=2, ensure_ascii=False) + "\n"
            try:
                write_private_file(self.path, payload.encode("utf-8"))
            except OSError as exc:
                log.error("could not write %s: %s", self.path, exc.strerror or exc)
                raise SettingsStorageError(
                    f"Could not write {self.path}: {exc.strerror or exc}"
                ) from exc
        self._cached = None
        self._log_changes(before, after)
        return self.load()

    @contextlib.contextmanager
    def _write_lock(self) -> Iterator[None]:
        # Two admins saving at once must not lose each other's changes (read-modify-write).
        fd = os.open(self.instance_path / ".settings.lock", os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            yield
        finally:
            os.close(fd)

    @staticmethod
    def _log_changes(before: Settings, after: Settings) -> None:
        changed = [f for f in SCHEMA if getattr(before, f.name) != getattr(after, f.name)]
        for f in changed:
            if f.secret:
                log.info("%s changed", f.name)
        public = [f.name for f in changed if not f.secret]
        if public:
            log.info("settings saved; changed: %s", ", ".join(public))
        elif not changed:
            log.info("settings saved; nothing changed")


# --- Flask glue -------------------------------------------------------------------------


def init_app(app: Flask) -> None:
    """Put a ``SettingsStore`` for the app's instance folder into ``app.extensions``."""
    app.extensions[EXTENSION_KEY] = SettingsStore(app.instance_path)


def settings_store() -> SettingsStore:
    """The current app's settings store (inside an app or request context)."""
    from flask import current_app

    store: SettingsStore = current_app.extensions[EXTENSION_KEY]
    return store


def get_settings() -> Settings:
    """The settings in force for this request (re-read when the file changed)."""
    return settings_store().load()


SettingsProvider = Callable[[], Settings]
