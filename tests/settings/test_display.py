"""The box display settings: default template, theme, button text, unavailable products,
schema.org data. Each takes only its listed values (any case), says which ones when given
another, and survives the round trip through the stored file and the environment."""

from __future__ import annotations

from pathlib import Path

import pytest

from affsite.errors import SettingsError
from affsite.settings import DEFAULTS, FIELDS, SettingsStore, form_text, parse_value, to_json

DISPLAY = ["box_template", "box_theme", "button_text", "unavailable_display", "json_ld"]


def message_for(name: str, raw: object) -> str:
    with pytest.raises(SettingsError) as caught:
        parse_value(name, raw)
    message = caught.value.errors[name]
    assert message.startswith(FIELDS[name].label + ":"), "the message names the field"
    return message


def test_defaults_keep_todays_boxes() -> None:
    assert (
        DEFAULTS.box_template,
        DEFAULTS.box_theme,
        DEFAULTS.button_text,
        DEFAULTS.unavailable_display,
        DEFAULTS.json_ld,
    ) == ("box", "light", "View on AliExpress", "message", False)
    assert all(FIELDS[name].group == "display" for name in DISPLAY)


@pytest.mark.parametrize(
    ("name", "raw", "expected"),
    [
        ("box_template", " Grid ", "grid"),
        ("box_theme", "AUTO", "auto"),
        ("unavailable_display", "Hide", "hide"),
        ("button_text", "  Check\n the   price ", "Check the price"),
        ("json_ld", "on", True),
        ("json_ld", "off", False),
        ("json_ld", "TRUE", True),
        ("json_ld", True, True),
        ("json_ld", "", False),
    ],
)
def test_valid_values_are_normalised(name: str, raw: object, expected: object) -> None:
    assert parse_value(name, raw) == expected


@pytest.mark.parametrize(
    ("name", "raw", "fragments"),
    [
        (
            "box_template",
            "../../etc/passwd",
            ["is not a box template", "choose one of box, grid, list, table, compact"],
        ),
        ("box_theme", "neon", ["'neon' is not a theme", "choose one of light, dark, auto"]),
        ("unavailable_display", "blink", ["choose one of message, link, hide"]),
        ("json_ld", "maybe", ["'maybe' is neither on nor off", "choose on or off"]),
        ("button_text", "   ", ["must not be empty", "'View on AliExpress'"]),
        ("button_text", "x" * 41, ["is 41 characters long", "at most 40"]),
        ("button_text", "Buy\u202enow", ["invisible direction marks", "plain text"]),
        ("button_text", "Buy\x00now", ["control characters"]),
    ],
)
def test_invalid_values_name_the_field_and_the_fix(
    name: str, raw: str, fragments: list[str]
) -> None:
    message = message_for(name, raw)
    for fragment in fragments:
        assert fragment in message, message


def test_the_form_shows_flags_as_on_or_off() -> None:
    assert form_text("json_ld", True) == "on" and form_text("json_ld", False) == "off"
    assert FIELDS["json_ld"].choice_values() == ("off", "on")
    assert to_json(DEFAULTS)["json_ld"] is False


def test_saved_display_settings_come_back_from_the_file(tmp_path: Path) -> None:
    store = SettingsStore(tmp_path / "instance")
    store.save(
        {
            "box_template": "table",
            "box_theme": "dark",
            "button_text": "Buy <now>",
            "unavailable_display": "link",
            "json_ld": "on",
        }
    )
    loaded = SettingsStore(tmp_path / "instance").load()
    assert (loaded.box_template, loaded.box_theme, loaded.button_text) == (
        "table",
        "dark",
        "Buy <now>",  # text: the renderer escapes it when drawn
    )
    assert loaded.unavailable_display == "link" and loaded.json_ld is True
