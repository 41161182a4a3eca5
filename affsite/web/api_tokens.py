"""API tokens: what lets the site's own servers call ``POST /api/v1/expand``.

The admin creates a token on the settings page and sees it once; from then on the server
holds only its SHA-256 digest, in ``<instance>/api_tokens.sqlite3`` (owner-only, beside the
admin's sessions). The file is shared by every worker, so a token revoked on the settings page
stops working in every process with the next request. Not in ``settings.json``: that file
is what the settings form edits and shows (with ``AFFSITE_*`` overrides), while a token is a
credential the page never shows again, and revoking one must not rewrite the settings.

A token is 32 random bytes. A slow hash, as for the admin password, would add nothing here:
nobody can guess 256 random bits whatever the hash, while a fast one keeps each call cheap. A
presented token is compared with every stored digest in constant time, and it is never
logged, echoed or kept anywhere else (not in the flash messages either: those live in the
session cookie).
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import secrets
import unicodedata
from dataclasses import dataclass
from pathlib import Path

from flask import Flask, current_app

from affsite.clock import Clock, system_clock
from affsite.errors import AffsiteError
from affsite.moments import moment
from affsite.web.private_db import AuthStoreError, PrivateDatabase

log = logging.getLogger(__name__)

__all__ = [
    "MAX_TOKENS",
    "TOKENS_FILE",
    "ApiToken",
    "ApiTokens",
    "TokenListing",
    "TooManyTokens",
    "api_tokens",
    "init_app",
    "token_listing",
]

TOKENS_FILE = "api_tokens.sqlite3"
TOKEN_PREFIX = "affsite_"  # noqa: S105 (marks the text as ours, for secret scanners and readers)
MAX_TOKENS = 20
MAX_LABEL = 60
MAX_PRESENTED = 200  # characters: no real token is longer, so longer ones are not hashed
_EXTENSION_KEY = "affsite.api_tokens"

_SCHEMA = """
CREATE TABLE IF NOT EXISTS api_tokens (
    id TEXT PRIMARY KEY,
    label TEXT NOT NULL,
    digest TEXT NOT NULL,
    created REAL NOT NULL
);
"""


class TooManyTokens(AffsiteError, ValueError):
    """The admin asked for a token while ``MAX_TOKENS`` are live."""

    fix = "Revoke the tokens no server uses any more, then create the new one."


@dataclass(frozen=True, kw_only=True, slots=True)
class ApiToken:
    """A live token as the settings page lists it: never the token itself."""

    id: str  # public: names the token in the revoke form and in the log
    label: str
    created: float

    @property
    def created_utc(self) -> str:
        return moment(self.created)["utc"]


@dataclass(frozen=True, kw_only=True, slots=True)
class TokenListing:
    """The live tokens, or why they cannot be listed (the file cannot be read)."""

    tokens: tuple[ApiToken, ...] = ()
    problem: str | None = None


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def clean_label(label: str) -> str:
    """The admin's name for a token on one line, without control characters, cut short.

    >>> clean_label("  build\\x1b[31m server\\n")
    'build [31m server'
    >>> clean_label("")
    'API token'
    """
    kept = "".join(" " if unicodedata.category(ch)[0] in "CZ" else ch for ch in label)
    return " ".join(kept.split())[:MAX_LABEL] or "API token"


class ApiTokens:
    """The live API tokens of one instance folder (see the module doc)."""

    def __init__(self, db_path: Path, *, clock: Clock = system_clock) -> None:
        self.db = PrivateDatabase(db_path, _SCHEMA)
        self.clock = clock

    def create(self, label: str) -> tuple[ApiToken, str]:
        """A new token named ``label``: its listing and the token itself, to show once.

        :raise TooManyTokens: ``MAX_TOKENS`` are live already.
        :raise AuthStoreError: the file cannot be written; no token was made.
        """
        token = TOKEN_PREFIX + secrets.token_urlsafe(32)
        made = ApiToken(id=secrets.token_hex(4), label=clean_label(label), created=self.clock())
        with self.db.transaction() as db:
            (count,) = db.execute("SELECT COUNT(*) FROM api_tokens").fetchone()
            if count >= MAX_TOKENS:
                raise TooManyTokens(f"There are already {MAX_TOKENS} API tokens.")
            db.execute(
                "INSERT INTO api_tokens (id, label, digest, created) VALUES (?, ?, ?, ?)",
                (made.id, made.label, _digest(token), made.created),
            )
        log.info("API token %s (%r) created", made.id, made.label)
        return made, token

    def revoke(self, token_id: str) -> ApiToken | None:
        """End the token ``token_id`` for every process; None when there is no such token.

        :raise AuthStoreError: the file cannot be written; the token may still work.
        """
        with self.db.transaction() as db:
            row = db.execute(
                "SELECT id, label, created FROM api_tokens WHERE id = ?", (token_id,)
            ).fetchone()
            if row is None:
                return None
            db.execute("DELETE FROM api_tokens WHERE id = ?", (token_id,))
        revoked = ApiToken(id=row[0], label=row[1], created=row[2])
        log.info("API token %s (%r) revoked", revoked.id, revoked.label)
        return revoked

    def listed(self) -> tuple[ApiToken, ...]:
        """The live tokens, oldest first.

        :raise AuthStoreError: the file cannot be read.
        """
        with self.db.connect() as db:
            rows = db.execute(
                "SELECT id, label, created FROM api_tokens ORDER BY created, id"
            ).fetchall()
        return tuple(ApiToken(id=i, label=label, created=created) for i, label, created in rows)

    def verify(self, presented: str) -> ApiToken | None:
        """The live token ``presented`` is, or None.

        :raise AuthStoreError: the file cannot be read; nobody can be let in.
        """
        if not presented or len(presented) > MAX_PRESENTED:
            return None
        wanted = _digest(presented)
        with self.db.connect() as db:
            rows = db.execute("SELECT id, label, created, digest FROM api_tokens").fetchall()
        found = None
        for token_id, label, created, digest in rows:
            # Every row is compared, in constant time, so the answer takes as long either way.
            if hmac.compare_digest(digest, wanted):
                found = ApiToken(id=token_id, label=label, created=created)
        return found


def init_app(app: Flask) -> None:
    """The instance folder's API tokens into ``app.extensions``."""
    clock = app.config.get("CLOCK") or system_clock
    app.extensions[_EXTENSION_KEY] = ApiTokens(Path(app.instance_path) / TOKENS_FILE, clock=clock)


def api_tokens(app: Flask | None = None) -> ApiTokens:
    """The API tokens of ``app`` (default: the current app)."""
    tokens: ApiTokens = (app or current_app).extensions[_EXTENSION_KEY]
    return tokens


def token_listing() -> TokenListing:
    """The current app's live tokens for the settings page, which shows a problem instead
    of failing when they cannot be read."""
    try:
        return TokenListing(tokens=api_tokens().listed())
    except AuthStoreError as exc:
        log.error("API tokens cannot be listed: %s", exc)
        return TokenListing(problem=f"The API tokens cannot be read right now. {exc.fix}")
