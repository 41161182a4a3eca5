"""The package's public face: one renderer per app, reached through ``get_renderer()``."""

from __future__ import annotations

from pathlib import Path

import pytest

import affsite.render
from affsite import create_app
from affsite.render import Renderer, get_renderer


def test_the_app_has_one_renderer_reached_through_its_accessor(tmp_path: Path) -> None:
    app = create_app({"TESTING": True, "INSTANCE_PATH": str(tmp_path / "instance")})
    with app.app_context():
        renderer = get_renderer()
        assert isinstance(renderer, Renderer)
        assert get_renderer() is renderer
    assert not renderer.environment.auto_reload


def test_templates_reload_when_flask_would_reload_its_own(tmp_path: Path) -> None:
    app = create_app(
        {"TESTING": True, "INSTANCE_PATH": str(tmp_path / "i"), "TEMPLATES_AUTO_RELOAD": True}
    )
    with app.app_context():
        assert get_renderer().environment.auto_reload


def test_outside_an_app_there_is_no_renderer() -> None:
    with pytest.raises(RuntimeError):
        get_renderer()


def test_public_names() -> None:
    for name in affsite.render.__all__:
        assert hasattr(affsite.render, name), name
