"""Boxes are drawn in an environment that knows nothing about the request."""

from __future__ import annotations

from decimal import Decimal
from types import SimpleNamespace

import pytest
from jinja2 import Environment, UndefinedError

from affsite.render.environment import make_environment, money, utc_iso, utc_text
from affsite.resources import template_folder


@pytest.fixture
def environment() -> Environment:
    return make_environment(template_folder())


def test_no_request_session_or_url_building_is_in_reach(environment: Environment) -> None:
    for name in ("request", "session", "g", "url_for", "config", "get_flashed_messages"):
        assert name not in environment.globals
    with pytest.raises(UndefinedError):
        environment.from_string("{{ url_for('static', filename='x') }}").render()
    assert environment.from_string("[{{ request }}]").render() == "[]"


def test_everything_is_escaped(environment: Environment) -> None:
    assert environment.get_template("boxes/box.html").environment.autoescape
    html = environment.from_string("{{ t }}").render(t="<script>")
    assert html == "&lt;script&gt;"


def test_money_filter_takes_anything_with_an_amount_and_a_currency() -> None:
    assert money(SimpleNamespace(amount=Decimal("5"), currency="USD")) == "$5.00"
    assert money(SimpleNamespace(amount=Decimal("1e26"), currency="USD")) is None
    assert money(None) is None
    assert money("12 USD") is None


def test_times_in_utc() -> None:
    assert utc_iso(0) == "1970-01-01T00:00:00Z"
    assert utc_text(86400 * 31) == "1 Feb 1970, 00:00 UTC"


def test_templates_are_compiled_once_unless_asked_to_reload() -> None:
    assert not make_environment(template_folder()).auto_reload
    assert make_environment(template_folder(), auto_reload=True).auto_reload
