"""The settings a site owner edits on /admin/settings.

``Settings`` is the contract every layer reads (field names and types are stable). The
schema, validation and the atomic JSON store in the instance folder build on it.
"""

from __future__ import annotations

from dataclasses import dataclass

DEFAULT_API_URL = "https://api-sg.aliexpress.com/sync"


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

    @property
    def demo_mode(self) -> bool:
        """True when no credentials are set: the app then talks to the built-in sandbox."""
        return not (self.app_key and self.app_secret)
