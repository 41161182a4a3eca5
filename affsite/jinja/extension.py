"""``Affsite``: the Flask extension that gives any app's templates affsite's boxes.

``Affsite(instance_path=...).init_app(app)`` (or ``app.config["AFFSITE_INSTANCE"]``, or the
``AFFSITE_INSTANCE`` environment variable) builds a catalog on that affsite instance folder
(its ``settings.json`` and ``AFFSITE_*`` overrides, read per request, and its ``cache/``;
with ``AFFSITE_REDIS_URL`` the settings and the shared state in Redis, as the servers keep
them) and a renderer over affsite's own box templates, and installs them where
``get_catalog()`` and ``get_renderer()`` find them. The app's templates then have the global
``aliexpress``, the filter ``aliexpress_shortcodes`` and the ``{% aliexpress %}`` tag.

An app that already has them (affsite's own, or one given ``catalog=``/``renderer=``, as tests
and embedders with their own wiring do) keeps them: only the template names are added.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING

from affsite import catalog as catalog_extension
from affsite import render
from affsite.cache import open_stores
from affsite.catalog import Catalog
from affsite.catalog.background import ThreadRefresher
from affsite.config import INSTANCE_ENV, redis_prefix, redis_url
from affsite.errors import AffsiteError
from affsite.files import ensure_private_dir
from affsite.jinja.functions import aliexpress, aliexpress_shortcodes
from affsite.jinja.tag import AliexpressTag
from affsite.render import Renderer
from affsite.render.environment import make_environment
from affsite.resources import static_folder, template_folder
from affsite.settings import SettingsStore

if TYPE_CHECKING:
    from flask import Flask

__all__ = ["EXTENSION_KEY", "Affsite", "InstanceNotConfigured"]

EXTENSION_KEY = "affsite.jinja"
INSTANCE_CONFIG = "AFFSITE_INSTANCE"  # app.config key naming the affsite instance folder
CACHE_CONFIG = "AFFSITE_CACHE_DIR"  # app.config key: the cache folder, if not <instance>/cache
# app.config keys (or environment variables) for the shared state of several machines: the
# same Redis and prefix as the affsite servers, so this app shares their quota and cache.
REDIS_CONFIG = "AFFSITE_REDIS_URL"
REDIS_PREFIX_CONFIG = "AFFSITE_REDIS_PREFIX"


class InstanceNotConfigured(AffsiteError, RuntimeError):
    """``Affsite`` was not told which affsite instance folder to use."""

    fix = (
        'Pass Affsite(instance_path="…"), or set app.config["AFFSITE_INSTANCE"] or the '
        "AFFSITE_INSTANCE environment variable to the affsite instance folder."
    )


class Affsite:
    """affsite's boxes in a Flask app's templates (see the module doc)."""

    def __init__(
        self,
        app: Flask | None = None,
        *,
        instance_path: str | os.PathLike[str] | None = None,
        catalog: Catalog | None = None,
        renderer: Renderer | None = None,
    ) -> None:
        self.instance_path = instance_path
        self._catalog = catalog
        self._renderer = renderer
        if app is not None:
            self.init_app(app)

    def init_app(self, app: Flask) -> None:
        """Install the catalog and renderer (unless the app has them) and the template names.

        :raise InstanceNotConfigured: a catalog must be built and no instance folder is named.
        """
        if self._catalog is not None or catalog_extension.EXTENSION_KEY not in app.extensions:
            catalog_extension.init_app(app, self._catalog or self._build_catalog(app))
        if self._renderer is not None or render.EXTENSION_KEY not in app.extensions:
            app.extensions[render.EXTENSION_KEY] = self._renderer or Renderer(
                make_environment(template_folder()), static=static_folder()
            )
        app.extensions[EXTENSION_KEY] = self
        app.add_template_global(aliexpress, "aliexpress")
        app.add_template_filter(aliexpress_shortcodes, "aliexpress_shortcodes")
        app.jinja_env.add_extension(AliexpressTag)

    def _build_catalog(self, app: Flask) -> Catalog:
        named = (
            self.instance_path or app.config.get(INSTANCE_CONFIG) or os.environ.get(INSTANCE_ENV)
        )
        if not named:
            raise InstanceNotConfigured("No affsite instance folder was named.")
        instance = ensure_private_dir(Path(named).expanduser().resolve())
        cache = Path(app.config.get(CACHE_CONFIG) or instance / "cache")
        shared = redis_url(app.config.get(REDIS_CONFIG) or os.environ.get(REDIS_CONFIG))
        prefix = redis_prefix(
            app.config.get(REDIS_PREFIX_CONFIG) or os.environ.get(REDIS_PREFIX_CONFIG) or "affsite"
        )
        settings: SettingsStore = SettingsStore(instance)
        if shared is not None:
            from affsite.settings.redis_store import RedisSettingsStore

            settings = RedisSettingsStore.from_url(instance, shared, prefix=prefix)
        return Catalog(
            settings=settings.load,
            stores=open_stores(cache, redis_url=shared, redis_prefix=prefix),
            refresher=ThreadRefresher(),  # stale products renewed behind the page
        )
