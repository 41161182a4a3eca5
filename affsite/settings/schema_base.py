"""The building blocks of the settings schema: the ``Settings`` contract with its defaults,
and the ``Field`` and ``Group`` that describe one setting and one section of the admin form.

``affsite.settings.schema`` puts them together; every name here is also there.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

from affsite.aliexpress.protocol import DEFAULT_API_URL, DEFAULT_BATCH_SIZE

__all__ = ["DEFAULTS", "Field", "Group", "Kind", "Settings", "days_text"]


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
    list_ttl: int = 21_600  # seconds a search or hot-product list stays fresh
    rate_limit: float = 1.0  # gateway requests per second, shared by every worker
    daily_quota: int = 5_000  # gateway requests per Beijing day, shared by every worker
    admin_reserve: int = 100  # part of the daily quota kept for admin actions
    new_product_share: int = 10  # % of the daily quota for ids first asked for anonymously
    batch_size: int = DEFAULT_BATCH_SIZE  # product ids per productdetail.get call
    api_url: str = DEFAULT_API_URL
    sign_method: str = "sha256"  # "sha256" or "md5"
    disclosure: str = (
        "As an AliExpress affiliate we earn from qualifying purchases. Prices may have changed."
    )
    box_template: str = "box"  # template drawn when an embed or snippet names none
    box_theme: str = "light"  # "light", "dark" or "auto" (the visitor's preference)
    button_text: str = "View on AliExpress"
    unavailable_display: str = "message"  # "message", "link" (no price) or "hide"
    json_ld: bool = False  # schema.org Product data next to boxes with fresh prices
    allowed_embed_origins: tuple[str, ...] = ()  # sites allowed to frame our embeds; empty = any
    featured_products: tuple[str, ...] = ()  # global product ids shown on the home page

    @property
    def demo_mode(self) -> bool:
        """True when no credentials are set: the app then talks to the built-in sandbox."""
        return not (self.app_key and self.app_secret)


DEFAULTS = Settings()

Kind = Literal[
    "text", "secret", "int", "float", "choice", "flag", "url", "textarea", "origins", "products"
]


@dataclass(frozen=True, kw_only=True)
class Group:
    """A section of the settings form."""

    key: str
    title: str
    intro: str


@dataclass(frozen=True, kw_only=True)
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
