"""The choices of the box display settings (template, theme, unavailable products, on/off).

``affsite.render`` draws them: its ``StrEnum`` allow-lists hold the same values (a test checks
that), while the settings stay below the renderer and never import it.
"""

from __future__ import annotations

BOX_TEMPLATES = (
    ("box", "Box: one product with image, rating, price and button"),
    ("grid", "Grid: cards side by side"),
    ("list", "List: one row per product"),
    ("table", "Table: a comparison table"),
    ("compact", "Compact: one line per product with a thumbnail"),
    ("button", "Button: only the call to action"),
    ("link", "Link: a text link"),
    ("field", "Field: only the price, inline"),
)
BOX_THEMES = (
    ("light", "Light"),
    ("dark", "Dark"),
    ("auto", "Automatic: light or dark as the visitor's device prefers"),
)
UNAVAILABLE_DISPLAYS = (
    ("message", "A short message saying the product is not available"),
    ("link", "A plain link to the product on AliExpress, without a price"),
    ("hide", "Nothing: leave the product out"),
)
FLAG_CHOICES = (("off", "Off"), ("on", "On"))
MAX_BUTTON_TEXT = 40
