"""The web layer: Flask blueprints and what applies to every request.

Blueprints: ``public`` (the home page), ``root`` (routes at the site root: ``/healthz``,
``/favicon.ico``, sandbox pictures; ``go`` adds ``/go/<id>``, clicks on boxes; ``script_embed``
``/embed.js`` and the batched ``/api/v1/embeds`` it calls; ``oembed`` ``/oembed``), ``embed``
(pages other sites frame), ``api`` (JSON and HTML fragments), both reading what to draw with
``box_query`` (lists answered by ``box_lists``) and caching through ``public_cache``,
``expand_api`` (shortcodes expanded for the site's own servers, with an API token from
``api_tokens``), ``admin`` (sign-in, settings,
dashboard; ``admin_tokens`` creates and revokes API tokens, ``preview`` shows pasted content
expanded) with ``auth`` (the admin password, server-side sessions in ``admin_sessions``, the
``login_throttle``, owner-only SQLite files in ``private_db``) and ``settings_form`` (the
settings page as data). Request-wide: ``fast_path`` (warm answers handed over before Flask
dispatches), ``proxies`` (which forwarded headers are believed), ``security`` (CSRF, admin
headers, redirects), ``error_pages``, ``templating``. Views reach services through accessors
(``get_catalog()``, ``get_renderer()``, ``settings_store()``, ``admin_password()``), never
through ``app.extensions``.
"""

__all__ = [
    "admin",
    "admin_sessions",
    "admin_tokens",
    "api",
    "api_tokens",
    "auth",
    "box_lists",
    "box_query",
    "embed",
    "error_pages",
    "expand_api",
    "fast_path",
    "go",
    "login_throttle",
    "oembed",
    "preview",
    "private_db",
    "proxies",
    "public",
    "public_cache",
    "root",
    "script_embed",
    "security",
    "settings_form",
    "templating",
]
