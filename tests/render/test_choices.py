"""Template names are an allow-list; options are values built by keyword."""

from __future__ import annotations

import dataclasses

import pytest

from affsite.render.choices import (
    MAX_BUTTON_TEXT,
    MAX_TITLE,
    BoxField,
    BoxTemplate,
    Heading,
    LinkTarget,
    Options,
    Page,
    Theme,
    Unavailable,
)
from affsite.resources import template_folder
from affsite.settings.display import BOX_TEMPLATES, BOX_THEMES, UNAVAILABLE_DISPLAYS


@pytest.mark.parametrize(
    "name", ["../../etc/passwd", "boxes/box", "box.html", "BOX", "", "admin/settings"]
)
def test_a_template_name_outside_the_set_is_an_error(name: str) -> None:
    with pytest.raises(ValueError):
        BoxTemplate(name)


def test_every_template_and_page_exists() -> None:
    for template in BoxTemplate:
        assert (template_folder() / template.path).is_file(), template
    for page in Page:
        assert (template_folder() / page.value).is_file(), page


def test_options_are_frozen_keyword_values_usable_as_keys() -> None:
    options = Options(heading=Heading.H1)
    assert options == Options(heading=Heading("h1"))
    assert hash(options) == hash(Options(heading=Heading.H1))
    assert Options().heading is Heading.H3
    with pytest.raises(TypeError):
        Options(Heading.H2)  # type: ignore[call-arg]
    with pytest.raises(dataclasses.FrozenInstanceError):
        options.heading = Heading.H2  # type: ignore[misc]
    with pytest.raises(ValueError):
        Heading("script")


def test_options_take_allowed_names_only_and_hold_enum_members() -> None:
    options = Options(theme="dark", field="title", target="same_tab")  # type: ignore[arg-type]
    assert options.theme is Theme.DARK and options.field is BoxField.TITLE
    assert options.target is LinkTarget.SAME_TAB
    assert options == Options(theme=Theme.DARK, field=BoxField.TITLE, target=LinkTarget.SAME_TAB)
    for bad in ({"theme": "neon"}, {"field": "commission_rate"}, {"target": "_parent"}):
        with pytest.raises(ValueError):
            Options(**bad)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "base",
    [
        "//evil.example/go/",
        "javascript:alert(1)//",
        "/go",
        "go/",
        "https://a@b.example/go/",
        "https://b.example/go/?to=x/",
        "https://b.example/go/#/",
        "https://b.example\\@evil.example/",
        "/go/ /",
        "data:text/html,x/",
    ],
)
def test_a_link_base_is_a_path_or_an_origin_with_a_path(base: str) -> None:
    with pytest.raises(ValueError):
        Options(link_via=base)


def test_link_bases_for_our_own_pages_and_other_sites() -> None:
    assert Options(link_via="/go/").link_via == "/go/"
    assert Options(link_via="/shop/go/").link_via == "/shop/go/"
    assert Options(link_via="https://boxes.example:8443/go/").link_via == (
        "https://boxes.example:8443/go/"
    )
    assert Options().link_via is None


@pytest.mark.parametrize(
    "root", ["/shop", "https://shop.example/", "//shop.example", "https://a@b.example", "x"]
)
def test_a_media_root_is_an_absolute_site_address(root: str) -> None:
    with pytest.raises(ValueError):
        Options(media_root=root)
    assert Options(media_root="https://shop.example/s").media_root == "https://shop.example/s"


def test_button_text_is_one_clean_line_and_capped() -> None:
    assert Options(button_text="  Buy\n\tnow \u202e\u200b ").button_text == "Buy now"
    assert Options(button_text="x" * 500).button_text == "x" * MAX_BUTTON_TEXT
    assert Options(button_text=" \n ").button_text is None  # blank: the site's text


def test_a_title_is_one_clean_line_capped_and_part_of_the_key() -> None:
    assert Options(title="  Best\n\tpicks \u202e\u200b ").title == "Best picks"
    assert Options(title="t" * 500).title == "t" * MAX_TITLE
    assert Options(title=" \n ").title is None  # blank: the product's own title
    assert Options(title="A") != Options(title="B") and Options(title="A") != Options()
    assert hash(Options(title="A")) == hash(Options(title="A"))


def test_every_field_the_shortcodes_offer_is_one_the_field_template_draws() -> None:
    assert [f.value for f in BoxField] == ["price", "title", "discount", "rating", "orders"]


def test_product_titles_under_a_block_heading_go_one_level_down() -> None:
    assert [h.below for h in Heading] == [Heading.H2, Heading.H3, Heading.H4, Heading.H4]


def test_the_settings_offer_exactly_the_renderers_choices() -> None:
    assert [value for value, _ in BOX_TEMPLATES] == [t.value for t in BoxTemplate]
    assert [value for value, _ in BOX_THEMES] == [t.value for t in Theme]
    assert [value for value, _ in UNAVAILABLE_DISPLAYS] == [u.value for u in Unavailable]


def test_inline_templates_are_the_ones_that_fit_in_a_sentence() -> None:
    assert {t for t in BoxTemplate if t.inline} == {
        BoxTemplate.BUTTON,
        BoxTemplate.LINK,
        BoxTemplate.FIELD,
    }
