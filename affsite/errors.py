"""The one error tree of affsite. Views catch only these.

    AffsiteError
    ├── SettingsError            invalid settings; ``.errors`` maps field name -> message
    ├── SettingsStorageError     (affsite.settings) settings.json cannot be read or written
    ├── ProductIdError           user input that is not a usable AliExpress product reference
    └── ApiError                 (affsite.aliexpress.errors) anything the gateway did or did not do
        ├── ...                  drawn in full in affsite/aliexpress/errors.py
        └── CallRefused          (affsite.limits.refusals) a shared limit said no; no call was made
            ├── QuotaExhausted   today's quota is spent
            ├── Banned           the gateway's rate-limit ban is still running
            ├── GatewayDown      the circuit breaker is open after repeated failures
            ├── CredentialsRefused  the credentials were rejected; paused until they change
            └── RateLimited      the speed limiter had no slot in time

Every error carries ``fix``: one plain-language sentence telling a site owner what to do.
"""

from __future__ import annotations


class AffsiteError(Exception):
    """Base of every error affsite raises on purpose."""

    fix: str = "See the server log for details."

    def __init__(self, message: str, *, fix: str | None = None) -> None:
        super().__init__(message)
        if fix is not None:
            self.fix = fix

    @property
    def message(self) -> str:
        return str(self)


class SettingsError(AffsiteError, ValueError):
    """One or more settings values are invalid; ``errors`` maps field names to messages."""

    fix = "Correct the fields named in the message and save again."

    def __init__(self, errors: dict[str, str]) -> None:
        self.errors = dict(errors)
        summary = "; ".join(f"{name}: {msg}" for name, msg in self.errors.items())
        super().__init__(summary or "invalid settings")


class ProductIdError(AffsiteError, ValueError):
    """Input that does not name exactly one AliExpress product."""

    fix = "Paste an AliExpress product page address or its numeric product id."
