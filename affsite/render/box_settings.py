"""The part of the site's settings a drawn box shows.

A box shows the disclosure, prices written for the site's language, and (in demo mode) the
sandbox's pictures. ``BoxSettings`` is exactly that, so it is the settings part of every memo
key: a saved disclosure or language draws new boxes at once, while settings a box does not
show (limits, credentials) never throw drawn boxes away.
"""

from __future__ import annotations

from dataclasses import dataclass

from affsite.aliexpress import DEFAULT_API_URL
from affsite.render.urls import SANDBOX_MEDIA_PATH, origin
from affsite.settings import Settings


@dataclass(frozen=True, kw_only=True)
class BoxSettings:
    language: str  # AliExpress target_language code, e.g. "EN"
    disclosure: str  # shown next to every call to action
    # Where demo pictures may come from: SANDBOX_MEDIA_PATH (the in-process sandbox), the
    # sandbox server's origin, or None outside demo mode (only AliExpress's image hosts).
    demo_media: str | None = None

    @classmethod
    def of(cls, settings: Settings) -> BoxSettings:
        return cls(
            language=settings.language,
            disclosure=settings.disclosure,
            demo_media=demo_media(settings),
        )


def demo_media(settings: Settings) -> str | None:
    """Where the sandbox serves product pictures in demo mode; None outside it (or when the
    Gateway URL is not a plain origin, so nothing odd can reach a ``src`` or a header)."""
    if not settings.demo_mode:
        return None
    if settings.api_url == DEFAULT_API_URL:
        return SANDBOX_MEDIA_PATH
    return origin(settings.api_url)
