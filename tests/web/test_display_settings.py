"""The box display settings on the settings page: shown as choices, saved, refused with a
message that names the field, and in the boxes at once."""

from __future__ import annotations

import re

from flask.testing import FlaskClient

from .helpers import field_errors

EARBUDS = "1005004757833857"


def options_of(page: str, name: str) -> list[str]:
    select = page.split(f'name="{name}"', 1)[1].split("</select>", 1)[0]
    return re.findall(r'<option value="([^"]*)"', select)


def test_the_display_group_offers_every_choice(admin: FlaskClient) -> None:
    page = admin.get("/admin/settings").get_data(as_text=True)
    assert options_of(page, "box_template") == [
        "box", "grid", "list", "table", "compact", "button", "link", "field",
    ]  # fmt: skip
    assert options_of(page, "box_theme") == ["light", "dark", "auto"]
    assert options_of(page, "unavailable_display") == ["message", "link", "hide"]
    assert options_of(page, "json_ld") == ["off", "on"]
    assert re.search(r'<option value="off"\s+selected>', page)
    assert 'name="button_text" type="text"\n         value="View on AliExpress"' in page


def test_saved_display_settings_reach_the_boxes_at_once(admin: FlaskClient) -> None:
    before = admin.get(f"/embed/iframe/{EARBUDS}").get_data(as_text=True)
    assert "affsite-theme-light" in before and ">View on AliExpress<" in before
    response = admin.post(
        "/admin/settings",
        data={"box_theme": "dark", "button_text": "Check <the> price", "json_ld": "on"},
    )
    assert response.status_code == 303
    page = admin.get(f"/embed/iframe/{EARBUDS}").get_data(as_text=True)
    assert "affsite-theme-dark" in page
    assert ">Check &lt;the&gt; price<" in page
    assert '<script type="application/ld+json">' in page


def test_invalid_display_values_are_refused_with_the_fix(admin: FlaskClient) -> None:
    response = admin.post(
        "/admin/settings",
        data={"box_template": "carousel", "button_text": " ", "json_ld": "sometimes"},
    )
    errors = field_errors(response.get_data(as_text=True))
    assert errors["box_template"].startswith("Default box template: 'carousel' is not a box")
    assert "choose one of box, grid" in errors["box_template"]
    assert errors["button_text"].startswith("Button text: must not be empty")
    assert errors["json_ld"] == (
        "Product structured data: 'sometimes' is neither on nor off; choose on or off."
    )
    page = admin.get(f"/embed/iframe/{EARBUDS}").get_data(as_text=True)
    assert "affsite-theme-light" in page  # nothing was saved
