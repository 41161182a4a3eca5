"""The templates and static files are found in a checkout (and, by the wheel test, installed)."""

from __future__ import annotations

from affsite.resources import static_folder, template_folder


def test_the_templates_and_static_files_are_found() -> None:
    assert (template_folder() / "base.html").is_file()
    assert (template_folder() / "boxes" / "box.html").is_file()
    assert (static_folder() / "css").is_dir()
