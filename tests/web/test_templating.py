"""Names the site's own pages can use; product boxes are not drawn with Flask's templates."""

from __future__ import annotations

from flask import render_template_string

from .conftest import MakeApp


def test_settings_and_version_are_available_to_pages(make_app: MakeApp) -> None:
    app = make_app()
    with app.test_request_context("/"):
        text = render_template_string(
            "{{ affsite_version }} {{ settings_state().settings.country }} {{ 2.0|number }}"
        )
    assert text == f"{__import__('affsite').__version__} US 2"


def test_box_filters_live_only_in_the_renderer(make_app: MakeApp) -> None:
    app = make_app()
    for name in ("money", "http_url", "link_url", "image_url"):
        assert name not in app.jinja_env.filters
