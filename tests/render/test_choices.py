"""Template names are an allow-list; options are values built by keyword."""

from __future__ import annotations

import dataclasses

import pytest

from affsite.render.choices import BoxTemplate, Heading, Options, Page
from affsite.resources import template_folder


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
