"""affsite: AliExpress affiliate product boxes for any website."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from flask import Flask

__version__ = "0.1.0"


def create_app(test_config: Mapping[str, Any] | None = None) -> Flask:
    """Build the affsite WSGI app.

    ``test_config`` overrides every other source of configuration; its ``INSTANCE_PATH``
    selects the instance folder (else ``AFFSITE_INSTANCE``, else ``./instance``).
    """
    # Imported here so that `import affsite.settings` (used below the web layer) does not
    # pull in Flask.
    from flask import Flask

    from affsite import catalog, config, render, settings
    from affsite.resources import static_folder, template_folder
    from affsite.web import (
        admin,
        api,
        api_tokens,
        auth,
        embed,
        error_pages,
        expand_api,
        fast_path,
        proxies,
        public,
        root,
        security,
        templating,
    )

    app = Flask(
        __name__,
        instance_path=config.instance_path(test_config),
        instance_relative_config=True,
        template_folder=str(template_folder()),
        static_folder=str(static_folder()),
    )

    # 1. Deploy-time configuration; instance folder (0700) and secret key.
    config.load(app, test_config)

    # 2. Services, each in app.extensions behind one accessor (get_catalog(), ...).
    settings.init_app(app)
    auth.init_app(app)
    api_tokens.init_app(app)
    catalog.init_app(app)
    render.init_app(app)

    # 3. Request-wide behaviour: warm answers handed over before Flask (inside the proxy
    #    handling), trusted proxy headers, CSRF, security headers, error pages, templates.
    fast_path.init_app(app)
    proxies.init_app(app)
    security.init_app(app)
    error_pages.init_app(app)
    templating.init_app(app)

    # 4. Blueprints.
    public.init_app(app)
    root.init_app(app)
    admin.init_app(app)
    api.init_app(app)
    expand_api.init_app(app)
    embed.init_app(app)
    return app
