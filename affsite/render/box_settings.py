"""The part of the site's settings a drawn box shows.

A box shows the disclosure, prices written for the site's language (right to left for
Hebrew and Arabic), in demo mode the sandbox's pictures, and the display settings: default
template, theme, button text, what an unavailable product becomes, and whether schema.org
data goes with it. ``BoxSettings`` is exactly that, so it is the settings part of every memo
key: a saved disclosure or theme draws new boxes at once, while settings a box does not show
(limits, credentials) never throw drawn boxes away.
"""

from __future__ import annotations

from dataclasses import dataclass

from affsite.aliexpress import DEFAULT_API_URL
from affsite.render.choices import MAX_BUTTON_TEXT, BoxTemplate, Theme, Unavailable, clean_text
from affsite.render.urls import SANDBOX_MEDIA_PATH, origin
from affsite.settings import DEFAULTS, Settings

# AliExpress target_language codes of languages written right to left (IW is Hebrew's old code).
RTL_LANGUAGES = frozenset({"AR", "HE", "IW"})


@dataclass(frozen=True, kw_only=True)
class BoxSettings:
    language: str  # AliExpress target_language code, e.g. "EN"
    disclosure: str  # shown next to every call to action
    # Where demo pictures may come from: SANDBOX_MEDIA_PATH (the in-process sandbox), the
    # sandbox server's origin, or None outside demo mode (only AliExpress's image hosts).
    demo_media: str | None = None
    template: BoxTemplate = BoxTemplate.BOX  # drawn when the caller names none
    theme: Theme = Theme.LIGHT  # used when the caller's options name none
    button_text: str = DEFAULTS.button_text
    unavailable: Unavailable = Unavailable.MESSAGE
    json_ld: bool = False  # schema.org Product data with fresh prices

    def __post_init__(self) -> None:
        object.__setattr__(self, "template", BoxTemplate(self.template))
        object.__setattr__(self, "theme", Theme(self.theme))
        object.__setattr__(self, "unavailable", Unavailable(self.unavailable))
        text = clean_text(str(self.button_text), MAX_BUTTON_TEXT)
        object.__setattr__(self, "button_text", text or DEFAULTS.button_text)

    @classmethod
    def of(cls, settings: Settings) -> BoxSettings:
        return cls(
            language=settings.language,
            disclosure=settings.disclosure,
            demo_media=demo_media(settings),
            template=BoxTemplate(settings.box_template),
            theme=Theme(settings.box_theme),
            button_text=settings.button_text,
            unavailable=Unavailable(settings.unavailable_display),
            json_ld=settings.json_ld,
        )

    @property
    def direction(self) -> str:
        """``rtl`` for languages written right to left, else ``ltr``.

        >>> BoxSettings(language="AR", disclosure="").direction
        'rtl'
        """
        return "rtl" if self.language.upper() in RTL_LANGUAGES else "ltr"


def demo_media(settings: Settings) -> str | None:
    """Where the sandbox serves product pictures in demo mode; None outside it (or when the
    Gateway URL is not a plain origin, so nothing odd can reach a ``src`` or a header)."""
    if not settings.demo_mode:
        return None
    if settings.api_url == DEFAULT_API_URL:
        return SANDBOX_MEDIA_PATH
    return origin(settings.api_url)
