"""Deploy-time configuration (``app.config``): what the operator sets once per installation.

Loaded in this order, later wins:

1. ``DEFAULTS`` below;
2. ``<instance>/config.py`` (a Python file of UPPER_CASE names), when present;
3. ``AFFSITE_<NAME>`` environment variables (values parsed as JSON when they can be, so
   ``AFFSITE_HTTPS=true`` and ``AFFSITE_PROXY_FIX=1`` work), e.g. ``AFFSITE_SECRET_KEY``;
4. the ``test_config`` mapping given to ``create_app``.

Behind a reverse proxy, ``PROXY_FIX``, ``PROXY_FIX_HOST``, ``PROXY_FIX_PREFIX`` and
``PUBLIC_URL`` say which forwarded headers to believe and which address visitors use (see
``affsite.web.proxies`` for the table); Flask's ``TRUSTED_HOSTS`` (a JSON list) refuses other
host names.

The site owner's settings (App Key, country, ...) are not configuration: they live in
``affsite.settings`` and their ``AFFSITE_*`` variables are left to it. ``AFFSITE_INSTANCE``
selects the instance folder; ``AFFSITE_ADMIN_PASSWORD`` is read once by the admin password
store and never copied into ``app.config``.
"""

from __future__ import annotations

import json
import logging
import os
import re
import secrets
import stat
from collections.abc import Mapping
from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

from affsite.files import create_private_file_once, ensure_private_dir
from affsite.settings import ENV_VARS as SETTINGS_ENV_VARS

if TYPE_CHECKING:
    from flask import Flask

log = logging.getLogger(__name__)

ENV_PREFIX = "AFFSITE_"
INSTANCE_ENV = "AFFSITE_INSTANCE"
ADMIN_PASSWORD_ENV = "AFFSITE_ADMIN_PASSWORD"  # noqa: S105 (a variable name)
SECRET_KEY_FILE = "secret_key"  # noqa: S105 (a file name)
MIN_SECRET_KEY_LENGTH = 32

DEFAULTS: Mapping[str, Any] = {
    # Signs session cookies and CSRF tokens. None: generated once into <instance>/secret_key.
    "SECRET_KEY": None,
    "MAX_CONTENT_LENGTH": 1024 * 1024,
    "SESSION_COOKIE_NAME": "affsite_session",
    "SESSION_COOKIE_HTTPONLY": True,
    "SESSION_COOKIE_SAMESITE": "Lax",
    "SESSION_COOKIE_SECURE": False,
    "PERMANENT_SESSION_LIFETIME": timedelta(hours=12),
    # CSRF tokens are bound to the session; let them live as long as it does, so a settings
    # page left open for a while can still be saved.
    "WTF_CSRF_TIME_LIMIT": 12 * 3600,
    # True when visitors reach the app over HTTPS: session cookies get the Secure flag.
    "HTTPS": False,
    # Behind reverse proxies (see affsite.web.proxies): how many of them set X-Forwarded-For
    # and X-Forwarded-Proto (0: none, the app faces visitors itself). Needed behind nginx so
    # client addresses and https are seen.
    "PROXY_FIX": 0,
    # How many proxies set X-Forwarded-Host (and -Port), and X-Forwarded-Prefix. Off unless
    # the proxies in front really set them: otherwise any visitor could.
    "PROXY_FIX_HOST": 0,
    "PROXY_FIX_PREFIX": 0,
    # The address visitors use, e.g. "https://shop.example" or "https://example.com/boxes":
    # the embed code on the home page points there and a prefix in it is the app's URL root.
    # None: the host each request was sent to, and the site root.
    "PUBLIC_URL": None,
    # werkzeug.security method for the admin password (OWASP scrypt floor: N=2**17, r=8, p=1).
    "PASSWORD_HASH_METHOD": "scrypt:131072:8:1",
    # Failed admin logins allowed per client address within LOGIN_FAILURE_WINDOW seconds.
    "LOGIN_MAX_FAILURES": 5,
    # Above this many failures from all addresses together, each address gets only 2 attempts
    # per window; a correct password from a fresh address is always checked.
    "LOGIN_MAX_FAILURES_GLOBAL": 50,
    "LOGIN_FAILURE_WINDOW": 15 * 60,
    # Time source (epoch seconds) for anything that expires; tests put a FakeClock here.
    "CLOCK": None,
    # Product cache folder (None: <instance>/cache).
    "CACHE_DIR": None,
    # Several machines serving one site: the Redis they share (redis://host:6379/0) holds the
    # cache, the limits and the settings. None: they stay on this machine's disk.
    "REDIS_URL": None,
    # What this site's keys in Redis start with (sites sharing one Redis need different ones).
    "REDIS_PREFIX": "affsite",
    # True: refresh stale products inside the request that found them instead of a
    # background thread (for tests and single-threaded tools).
    "REFRESH_INLINE": False,
    # Products shown as examples on the home page.
    "EXAMPLE_PRODUCT_IDS": ("1005004757833857", "33006951782"),
}

# Keys that are always text, even when the value looks like a number or "true".
_TEXT_KEYS = frozenset(
    {
        "SECRET_KEY",
        "SESSION_COOKIE_NAME",
        "SESSION_COOKIE_DOMAIN",
        "SERVER_NAME",
        "CACHE_DIR",
        "PUBLIC_URL",
        "REDIS_URL",
        "REDIS_PREFIX",
    }
    | {key for key, value in DEFAULTS.items() if isinstance(value, str)}
)

# AFFSITE_* variables that are not app.config keys.
_NOT_CONFIG = frozenset(
    {INSTANCE_ENV, ADMIN_PASSWORD_ENV, f"{ENV_PREFIX}CLOCK", *SETTINGS_ENV_VARS}
)


def instance_path(
    test_config: Mapping[str, Any] | None, environ: Mapping[str, str] = os.environ
) -> str | None:
    """The instance folder chosen by ``test_config["INSTANCE_PATH"]`` or ``AFFSITE_INSTANCE``
    (absolute), or None for Flask's default (``./instance`` in a source checkout).
    """
    chosen = (test_config or {}).get("INSTANCE_PATH") or environ.get(INSTANCE_ENV)
    return str(Path(chosen).expanduser().resolve()) if chosen else None


def environment_config(environ: Mapping[str, str] = os.environ) -> dict[str, Any]:
    """``AFFSITE_<NAME>`` variables as config keys (JSON values parsed, else kept as text)."""
    config: dict[str, Any] = {}
    for name, raw in environ.items():
        if not name.startswith(ENV_PREFIX) or name in _NOT_CONFIG:
            continue
        key = name.removeprefix(ENV_PREFIX)
        config[key] = raw if key in _TEXT_KEYS else _parse_env_value(raw)
    return config


def _parse_env_value(raw: str) -> Any:
    try:
        return json.loads(raw)
    except ValueError:
        return raw


def load(app: Flask, test_config: Mapping[str, Any] | None) -> None:
    """Fill ``app.config`` (see the module docstring for the order) and prepare the
    instance folder (mode 0700) and the secret key.
    """
    app.config.from_mapping(DEFAULTS)
    app.config.from_pyfile("config.py", silent=True)
    app.config.from_mapping(environment_config())
    if test_config:
        app.config.from_mapping({k: v for k, v in test_config.items() if k != "INSTANCE_PATH"})
    if app.config["HTTPS"]:
        app.config["SESSION_COOKIE_SECURE"] = True
        app.config["PREFERRED_URL_SCHEME"] = "https"
    ensure_private_dir(Path(app.instance_path))
    if not app.config["SECRET_KEY"]:
        app.config["SECRET_KEY"] = instance_secret_key(Path(app.instance_path))
    elif not app.config.get("TESTING"):
        _refuse_weak_secret_key(app.config["SECRET_KEY"])
    for key in ("PROXY_FIX", "PROXY_FIX_HOST", "PROXY_FIX_PREFIX"):
        app.config[key] = proxy_count(key, app.config[key])
    app.config["PUBLIC_URL"] = public_url(app.config["PUBLIC_URL"])
    app.config["REDIS_URL"] = redis_url(app.config["REDIS_URL"])
    app.config["REDIS_PREFIX"] = redis_prefix(app.config["REDIS_PREFIX"])


def _refuse_weak_secret_key(key: str | bytes) -> None:
    # The key signs admin sessions and CSRF tokens: a short or placeholder value ("dev",
    # "changeme") would let anyone who guesses it forge them. Tests may use short keys.
    if len(key) < MIN_SECRET_KEY_LENGTH:
        raise RuntimeError(
            f"SECRET_KEY is too short ({len(key)} characters; at least "
            f"{MIN_SECRET_KEY_LENGTH} are needed). Remove AFFSITE_SECRET_KEY and any "
            "SECRET_KEY in instance/config.py to let affsite generate one, or set one made by: "
            "python3 -c 'import secrets; print(secrets.token_hex(32))'"
        )


def instance_secret_key(instance: Path) -> str:
    """The key in ``<instance>/secret_key``, created once (mode 0600) when missing.

    Several workers may start together: exactly one creates the file, all read the same key.
    """
    path = instance / SECRET_KEY_FILE
    if not path.exists() and create_private_file_once(path, secrets.token_hex(32).encode()):
        log.info("generated a new secret key in %s", path)
    mode = stat.S_IMODE(path.stat().st_mode)
    if mode & 0o077:
        log.warning("%s was readable by others (mode %o); restricting it to 0600", path, mode)
        path.chmod(0o600)
    key = path.read_text(encoding="ascii").strip()
    if len(key) < MIN_SECRET_KEY_LENGTH:
        raise RuntimeError(
            f"{path} does not hold a usable secret key; delete the file and start affsite "
            "again to generate a new one (everyone will have to log in again)."
        )
    return key


MAX_PROXIES = 10
# What PUBLIC_URL may be: http(s), a host name or address with an optional port, and an
# optional path of plain segments. No userinfo, query or fragment: it is written into pages.
_PUBLIC_URL = re.compile(
    r"(?P<scheme>https?)://(?P<host>[a-z0-9.-]+|\[[0-9a-f:.]+\])(?::(?P<port>[0-9]{1,5}))?"
    r"(?P<path>(?:/[A-Za-z0-9._~!$&'()*+,;=:@-]+)*)/?"
)


def proxy_count(key: str, value: object) -> int:
    """A ``PROXY_FIX*`` value as a number of proxies (``true`` means one).

    :raise RuntimeError: not a number of proxies between 0 and ``MAX_PROXIES``.
    """
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, int) and 0 <= value <= MAX_PROXIES:
        return value
    raise RuntimeError(
        f"{key} must be the number of reverse proxies in front of affsite that set the "
        f"header (0 to {MAX_PROXIES}; 0 when there are none), not {value!r}."
    )


def public_url(value: object) -> str | None:
    """``PUBLIC_URL`` checked and normalised (lower-case scheme and host, no trailing slash).

    >>> public_url("HTTPS://Shop.Example/boxes/"), public_url(None)
    ('https://shop.example/boxes', None)

    :raise RuntimeError: not an http(s) address of a site (with an optional path).
    """
    if value is None or value == "":
        return None
    text = str(value).strip()
    head, sep, rest = text.partition("://")
    host_end = rest.find("/")
    host = rest if host_end < 0 else rest[:host_end]
    path = "" if host_end < 0 else rest[host_end:]
    candidate = f"{head.lower()}{sep}{host.lower()}{path}"
    match = _PUBLIC_URL.fullmatch(candidate)
    segments = match.group("path").split("/") if match else []
    if (
        match is None
        or (match.group("port") and not 0 < int(match.group("port")) < 65536)
        or any(segment in (".", "..") for segment in segments)
    ):
        raise RuntimeError(
            f"PUBLIC_URL must be the address visitors use, like https://shop.example or "
            f"https://example.com/boxes (no query, fragment or user name), not {text!r}."
        )
    return candidate.rstrip("/")


_REDIS_PREFIX = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}")


def redis_url(value: object) -> str | None:
    """``REDIS_URL`` checked (None or empty: no Redis).

    :raise RuntimeError: not a Redis URL (the message does not repeat it: it may hold a
        password).
    """
    if value is None or value == "":
        return None
    from affsite.cache import check_url  # loads the Redis client: only when one is named

    try:
        return check_url(str(value))
    except ValueError as error:
        raise RuntimeError(str(error)) from None


def redis_prefix(value: object) -> str:
    """``REDIS_PREFIX`` checked.

    >>> redis_prefix("shop.example")
    'shop.example'

    :raise RuntimeError: not 1 to 64 letters, digits, dots, dashes or underscores.
    """
    text = str(value)
    if not _REDIS_PREFIX.fullmatch(text):
        raise RuntimeError(
            "REDIS_PREFIX must be 1 to 64 letters, digits, dots, dashes or underscores, "
            f"starting with a letter or digit (one per site sharing a Redis), not {text!r}."
        )
    return text
