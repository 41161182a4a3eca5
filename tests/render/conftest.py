"""A renderer over the real templates folder, outside any Flask app."""

from __future__ import annotations

import pytest

from affsite.render import Renderer
from affsite.render.environment import make_environment
from affsite.resources import template_folder


@pytest.fixture
def renderer() -> Renderer:
    return Renderer(make_environment(template_folder()))
