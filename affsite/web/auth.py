"""Who may use /admin: the admin password, the session that proves it, the login throttle.

There is one admin. Its password is set with ``affsite admin set-password`` (or, on first
start only, from ``AFFSITE_ADMIN_PASSWORD``) and stored as a slow hash in
``<instance>/admin_password`` (mode 0600). A session is bound to the hash it was created
with, so setting a new password signs every browser out.
"""

from __future__ import annotations

import functools
import hashlib
import logging
import os
from collections.abc import Callable
from pathlib import Path
from typing import ParamSpec, TypeVar

from flask import Flask, abort, current_app, redirect, request, session, url_for
from werkzeug.security import check_password_hash, generate_password_hash

from affsite.clock import system_clock
from affsite.config import ADMIN_PASSWORD_ENV
from affsite.errors import AffsiteError
from affsite.files import create_private_file_once, write_private_file
from affsite.web.login_throttle import LoginThrottle

log = logging.getLogger(__name__)

PASSWORD_FILE = "admin_password"  # noqa: S105 (a file name)
THROTTLE_FILE = "login_failures.sqlite3"
MIN_PASSWORD_LENGTH = 10
PASSWORD_KEY = "affsite.admin_password"  # noqa: S105 (an extension key)
THROTTLE_KEY = "affsite.login_throttle"
_SESSION_KEY = "admin"

P = ParamSpec("P")
R = TypeVar("R")


class PasswordError(AffsiteError, ValueError):
    """A new admin password was refused."""

    fix = f"Choose a password of at least {MIN_PASSWORD_LENGTH} characters."


class AdminPassword:
    """The admin password hash in the instance folder."""

    def __init__(self, instance_path: Path, *, method: str = "scrypt:131072:8:1") -> None:
        self.path = Path(instance_path) / PASSWORD_FILE
        self.method = method

    def _hash(self) -> str | None:
        try:
            return self.path.read_text(encoding="ascii").strip() or None
        except FileNotFoundError:
            return None

    def is_set(self) -> bool:
        return self._hash() is not None

    def _new_hash(self, password: str) -> bytes:
        if len(password) < MIN_PASSWORD_LENGTH:
            raise PasswordError(
                f"The admin password must be at least {MIN_PASSWORD_LENGTH} characters long."
            )
        return (generate_password_hash(password, method=self.method) + "\n").encode("ascii")

    def set(self, password: str) -> None:
        """Store a new password (replacing any old one); signs out every session."""
        write_private_file(self.path, self._new_hash(password))
        log.info("admin password changed")

    def set_if_missing(self, password: str) -> bool:
        """Store ``password`` unless one is already set. Returns True when it was stored."""
        if self.is_set():
            return False
        return create_private_file_once(self.path, self._new_hash(password))

    def check(self, password: str) -> bool:
        """True when ``password`` is the admin password (constant-time comparison)."""
        stored = self._hash()
        if stored is None or not password:
            return False
        try:
            return check_password_hash(stored, password)
        except ValueError:
            log.error("%s does not hold a valid password hash; set a new password", self.path)
            return False

    def fingerprint(self) -> str | None:
        """A short digest of the stored hash; changes whenever the password changes."""
        stored = self._hash()
        return hashlib.sha256(stored.encode("ascii")).hexdigest()[:32] if stored else None


def init_app(app: Flask) -> None:
    """Admin password store and login throttle into ``app.extensions``; apply
    ``AFFSITE_ADMIN_PASSWORD`` when no password is set yet.
    """
    instance = Path(app.instance_path)
    password = AdminPassword(instance, method=app.config["PASSWORD_HASH_METHOD"])
    app.extensions[PASSWORD_KEY] = password
    app.extensions[THROTTLE_KEY] = LoginThrottle(
        instance / THROTTLE_FILE,
        max_per_client=int(app.config["LOGIN_MAX_FAILURES"]),
        max_global=int(app.config["LOGIN_MAX_FAILURES_GLOBAL"]),
        window=float(app.config["LOGIN_FAILURE_WINDOW"]),
        clock=app.config.get("CLOCK") or system_clock,
    )
    initial = os.environ.get(ADMIN_PASSWORD_ENV, "")
    if initial and not password.is_set():
        try:
            if password.set_if_missing(initial):
                log.info("admin password set from %s", ADMIN_PASSWORD_ENV)
        except PasswordError as exc:
            log.error("%s ignored: %s", ADMIN_PASSWORD_ENV, exc)


def admin_password() -> AdminPassword:

    store: AdminPassword = current_app.extensions[PASSWORD_KEY]
    return store


def login_throttle() -> LoginThrottle:

    throttle: LoginThrottle = current_app.extensions[THROTTLE_KEY]
    return throttle


def client_address() -> str:
    """The visitor's address (the proxy's own unless PROXY_FIX is configured)."""

    return request.remote_addr or "unknown"


def log_in() -> None:
    """Start a fresh admin session (a new session, so a planted one is never reused)."""

    session.clear()
    session.permanent = True
    session[_SESSION_KEY] = admin_password().fingerprint()


def log_out() -> None:

    session.clear()


def is_admin() -> bool:

    current = admin_password().fingerprint()
    return current is not None and session.get(_SESSION_KEY) == current


def admin_required(view: Callable[P, R]) -> Callable[P, R]:
    """Decorator for views outside the admin blueprint that only the admin may use.

    Anonymous requests are redirected to the login page (which returns them afterwards).
    """

    @functools.wraps(view)
    def wrapped(*args: P.args, **kwargs: P.kwargs) -> R:
        if not is_admin():
            abort(redirect(url_for("admin.login", next=request.full_path.rstrip("?"))))
        return view(*args, **kwargs)

    return wrapped
