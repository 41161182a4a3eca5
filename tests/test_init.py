"""``create_app`` builds a whole app: every service behind its accessor, every blueprint."""

from __future__ import annotations

from pathlib import Path

from affsite import __version__, create_app
from affsite.catalog import Catalog, get_catalog
from affsite.render import Renderer, get_renderer
from affsite.settings import settings_store
from affsite.web.auth import admin_password


def test_every_service_is_reachable_through_its_accessor(tmp_path: Path) -> None:
    app = create_app({"TESTING": True, "INSTANCE_PATH": str(tmp_path / "instance")})
    with app.app_context():
        assert isinstance(get_catalog(), Catalog)
        assert isinstance(get_renderer(), Renderer)
        assert settings_store().load().demo_mode
        assert not admin_password().is_set()


def test_every_blueprint_is_registered(tmp_path: Path) -> None:
    app = create_app({"TESTING": True, "INSTANCE_PATH": str(tmp_path / "instance")})
    assert {"public", "root", "admin", "api", "embed"} <= set(app.blueprints)
    response = app.test_client().get("/healthz")
    assert response.get_json()["version"] == __version__
