"""Who may use /admin: the admin password, the sessions it opens, the throttled check.

There is one admin. Its password is set with ``affsite admin set-password`` (or, on first
start only, from ``AFFSITE_ADMIN_PASSWORD``) and stored as a slow hash in
``<instance>/admin_password`` (mode 0600). Signing in opens a session recorded on the server
(``affsite.web.admin_sessions``): signing out ends it for good, and a new password ends every
session. Every password check goes through the login throttle (``affsite.web.login_throttle``).

Views reach these services through the accessors ``admin_password()``, ``admin_sessions()``
and ``login_throttle()``.
"""

from __future__ import annotations

import hashlib
import logging
import os
from pathlib import Path

from flask import Flask, current_app, request, session
from werkzeug.security import check_password_hash, generate_password_hash

from affsite.clock import system_clock
from affsite.config import ADMIN_PASSWORD_ENV
from affsite.errors import AffsiteError
from affsite.files import create_private_file_once, write_private_file
from affsite.web.admin_sessions import AdminSessions
from affsite.web.login_throttle import LoginThrottle, Outcome
from affsite.web.private_db import AuthStoreError

log = logging.getLogger(__name__)

PASSWORD_FILE = "admin_password"  # noqa: S105 (a file name)
SESSIONS_FILE = "admin_sessions.sqlite3"
THROTTLE_FILE = "login_failures.sqlite3"
MIN_PASSWORD_LENGTH = 10
_PASSWORD_KEY = "affsite.admin_password"  # noqa: S105 (an extension key)
_SESSIONS_KEY = "affsite.admin_sessions"
_THROTTLE_KEY = "affsite.login_throttle"
_COOKIE_FIELD = "admin"  # the session cookie field holding the session token


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
        """Store a new password (replacing any old one). Every session opened with the old
        one ends, in every process (sessions are bound to ``fingerprint()``).
        """
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
    """Admin password, sessions and login throttle into ``app.extensions``; apply
    ``AFFSITE_ADMIN_PASSWORD`` when no password is set yet.
    """
    instance = Path(app.instance_path)
    clock = app.config["CLOCK"] or system_clock
    password = AdminPassword(instance, method=app.config["PASSWORD_HASH_METHOD"])
    app.extensions[_PASSWORD_KEY] = password
    app.extensions[_SESSIONS_KEY] = AdminSessions(
        instance / SESSIONS_FILE,
        lifetime=app.permanent_session_lifetime.total_seconds(),
        clock=clock,
    )
    app.extensions[_THROTTLE_KEY] = LoginThrottle(
        instance / THROTTLE_FILE,
        max_per_source=int(app.config["LOGIN_MAX_FAILURES"]),
        max_global=int(app.config["LOGIN_MAX_FAILURES_GLOBAL"]),
        window=float(app.config["LOGIN_FAILURE_WINDOW"]),
        clock=clock,
    )
    initial = os.environ.get(ADMIN_PASSWORD_ENV, "")
    if initial and not password.is_set():
        try:
            if password.set_if_missing(initial):
                log.info("admin password set from %s", ADMIN_PASSWORD_ENV)
        except PasswordError as exc:
            log.error("%s ignored: %s", ADMIN_PASSWORD_ENV, exc)


def admin_password(app: Flask | None = None) -> AdminPassword:
    """The admin password of ``app`` (default: the current app)."""
    store: AdminPassword = (app or current_app).extensions[_PASSWORD_KEY]
    return store


def admin_sessions(app: Flask | None = None) -> AdminSessions:
    """The live admin sessions of ``app`` (default: the current app)."""
    sessions: AdminSessions = (app or current_app).extensions[_SESSIONS_KEY]
    return sessions


def login_throttle(app: Flask | None = None) -> LoginThrottle:
    """The login throttle of ``app`` (default: the current app)."""
    throttle: LoginThrottle = (app or current_app).extensions[_THROTTLE_KEY]
    return throttle


def client_address() -> str:
    """The visitor's address (the proxy's own unless PROXY_FIX is configured)."""
    return request.remote_addr or "unknown"


def check_password(password: str) -> Outcome:
    """Check ``password`` for the current visitor, within the login throttle's limits.

    :raise AuthStoreError: attempts cannot be counted; the password was not checked.
    """
    return login_throttle().check(client_address(), lambda: admin_password().check(password))


def log_in() -> None:
    """Start a fresh admin session (a new session, so a planted one is never reused).

    :raise AuthStoreError: the session cannot be recorded; nobody is signed in.
    """
    session.clear()
    fingerprint = admin_password().fingerprint()
    if fingerprint is None:
        return
    token = admin_sessions().start(fingerprint)
    session.permanent = True
    session[_COOKIE_FIELD] = token


def log_out() -> None:
    """End the session here and on the server, so a copy of the cookie is worth nothing.

    :raise AuthStoreError: the server could not end it (the cookie is cleared anyway).
    """
    token = session.get(_COOKIE_FIELD)
    session.clear()
    if isinstance(token, str):
        admin_sessions().end(token)


def is_admin() -> bool:
    """True when the request carries a live admin session."""
    token = session.get(_COOKIE_FIELD)
    if not isinstance(token, str):
        return False
    fingerprint = admin_password().fingerprint()
    if fingerprint is None:
        return False
    try:
        return admin_sessions().is_live(token, fingerprint)
    except AuthStoreError as exc:
        log.error("admin session not accepted: %s", exc)
        return False
