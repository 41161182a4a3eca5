"""The web layer: Flask blueprints and what applies to every request.

Blueprints: ``public`` (the home page), ``root`` (machine-facing routes at the site root:
``/healthz``, ``/favicon.ico``, sandbox pictures), ``embed`` (pages other sites frame), ``api``
(JSON), ``admin`` (sign-in, settings, dashboard) with ``auth`` (the admin password, server-side
sessions in ``admin_sessions``, the ``login_throttle``, owner-only SQLite files in ``private_db``)
and ``settings_form`` (the settings page as data). Request-wide: ``proxies``
(which forwarded headers are believed), ``security`` (CSRF, admin headers, redirects),
``error_pages``, ``templating``. Views reach services through accessors (``get_catalog()``,
``get_renderer()``, ``settings_store()``, ``admin_password()``), never through ``app.extensions``.
"""

__all__ = [
    "admin",
    "admin_sessions",
    "api",
    "auth",
    "embed",
    "error_pages",
    "login_throttle",
    "private_db",
    "proxies",
    "public",
    "root",
    "security",
    "settings_form",
    "templating",
]
