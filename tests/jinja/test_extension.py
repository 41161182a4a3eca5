"""``Affsite().init_app(app)``: affsite's catalog and renderer for any Flask app, from an
affsite instance folder; affsite's own app keeps its own."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from flask import Flask, render_template_string
from jinja2 import FileSystemLoader

from affsite import create_app
from affsite.catalog import Catalog, get_catalog
from affsite.jinja import Affsite, InstanceNotConfigured
from affsite.jinja.extension import EXTENSION_KEY
from affsite.render import get_renderer
from affsite.resources import template_folder

EARBUDS = "1005004757833857"


def page_of(app: Flask, source: str) -> str:
    with app.test_request_context():
        return render_template_string(source)


def test_an_instance_folder_is_all_it_needs(tmp_path: Path) -> None:
    instance = tmp_path / "affsite"
    app = Flask("blog")
    Affsite(app, instance_path=instance)  # demo mode: the built-in sandbox, no network
    page = page_of(app, '{{ aliexpress("' + EARBUDS + '") }}')
    assert f'data-product-id="{EARBUDS}"' in page
    assert (instance / "cache").is_dir()
    assert (instance.stat().st_mode & 0o777) == 0o700
    with app.app_context():
        get_catalog().close()


def test_the_instance_folder_settings_choose_the_look(tmp_path: Path) -> None:
    instance = tmp_path / "affsite"
    instance.mkdir(mode=0o700)
    (instance / "settings.json").write_text(json.dumps({"box_template": "compact"}))
    app = Flask("blog")
    app.config["AFFSITE_INSTANCE"] = str(instance)
    Affsite().init_app(app)
    page = page_of(app, '{{ aliexpress("' + EARBUDS + '") }}')
    assert page.startswith('<div class="affsite affsite-compact')
    with app.app_context():
        get_catalog().close()


def test_the_environment_variable_names_the_instance_too(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AFFSITE_INSTANCE", str(tmp_path / "from-env"))
    app = Flask("blog")
    Affsite().init_app(app)
    assert (tmp_path / "from-env" / "cache").is_dir()
    with app.app_context():
        get_catalog().close()


def test_without_an_instance_folder_it_says_how_to_name_one() -> None:
    with pytest.raises(InstanceNotConfigured) as raised:
        Affsite().init_app(Flask("blog"))
    assert "AFFSITE_INSTANCE" in raised.value.fix


def test_a_given_catalog_is_used_and_the_app_templates_are_left_alone(
    app: Flask, catalog: Catalog
) -> None:
    with app.app_context():
        assert get_catalog() is catalog
        loader = get_renderer().environment.loader
        assert isinstance(loader, FileSystemLoader)
        assert loader.searchpath == [str(template_folder())]  # affsite's box templates
    assert isinstance(app.extensions[EXTENSION_KEY], Affsite)
    assert "aliexpress_shortcodes" in app.jinja_env.filters
    assert app.jinja_env.globals["aliexpress"] is not None


def test_affsite_own_app_has_the_names_and_keeps_its_catalog(tmp_path: Path) -> None:
    app = create_app({"TESTING": True, "INSTANCE_PATH": str(tmp_path / "instance")})
    with app.app_context():
        own = get_catalog()
    assert isinstance(app.extensions[EXTENSION_KEY], Affsite)
    page = page_of(app, '{% aliexpress "' + EARBUDS + '" %}{{ "x"|aliexpress_shortcodes }}')
    assert f'data-product-id="{EARBUDS}"' in page and page.endswith("x")
    with app.app_context():
        assert get_catalog() is own


def test_with_a_redis_url_it_shares_the_servers_settings_and_cache(
    tmp_path: Path, redis_url: str, redis_prefix: str
) -> None:
    from affsite.cache.redis_store import RedisStore
    from affsite.settings.redis_store import RedisSettingsStore

    # What a server of the same site saved, from its own instance folder.
    server = RedisSettingsStore.from_url(tmp_path / "server", redis_url, prefix=redis_prefix)
    server.save({"box_template": "compact"})
    app = Flask("blog")
    app.config.update(AFFSITE_REDIS_URL=redis_url, AFFSITE_REDIS_PREFIX=redis_prefix)
    Affsite(app, instance_path=tmp_path / "blog")
    page = page_of(app, '{{ aliexpress("' + EARBUDS + '") }}')
    assert page.startswith('<div class="affsite affsite-compact')
    with app.app_context():
        catalog = get_catalog()
        assert isinstance(catalog.stores.data, RedisStore)
        assert isinstance(catalog.stores.ctl, RedisStore)
        catalog.close()


def test_a_bad_redis_url_is_refused_saying_what_to_fix(tmp_path: Path) -> None:
    app = Flask("blog")
    app.config["AFFSITE_REDIS_URL"] = "http://not-redis"
    with pytest.raises(RuntimeError, match="redis"):
        Affsite(app, instance_path=tmp_path / "blog")
