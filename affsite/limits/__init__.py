"""Shared limits on gateway calls: daily quota, speed limiter, ban, circuit breaker, fetch locks.

All state lives in the control store (``affsite.cache``, never evicted), so every worker process
on the machine sees the same numbers; every read-modify-write runs in one store transaction.
When the control store cannot be kept on disk, no call is made at all (``LimitsUnavailable``).
Deadlines are stored as epoch seconds of the injected clock and checked against it, so tests
drive them with a fake clock; the store's own expiry is only a real-time safety net for
garbage collection.

One module per limit: ``refusals`` (the errors), ``quota`` (daily counts), ``rate`` (speed
limiter), ``ban``, ``breaker`` (circuit breaker), ``locks`` (single-flight fetch locks), and
``attempts``, whose ``Gate`` applies them all around every gateway attempt as the API
client's hooks. ``stored`` reads their state back from the store.
"""

from affsite.limits.attempts import AttemptPolicy, ErrorLog, Gate
from affsite.limits.ban import BanState
from affsite.limits.breaker import (
    BreakerState,
    BreakerStatus,
    CircuitBreaker,
    credentials_fingerprint,
)
from affsite.limits.locks import FetchLocks
from affsite.limits.quota import (
    DAY,
    DailyQuota,
    NewProductAllowance,
    QuotaStatus,
    beijing_day,
    next_reset,
)
from affsite.limits.rate import RateLimiter
from affsite.limits.refusals import (
    Banned,
    CallRefused,
    CredentialsRefused,
    GatewayDown,
    LimitsUnavailable,
    QuotaExhausted,
    RateLimited,
)

__all__ = [
    "DAY",
    "AttemptPolicy",
    "BanState",
    "Banned",
    "BreakerState",
    "BreakerStatus",
    "CallRefused",
    "CircuitBreaker",
    "CredentialsRefused",
    "DailyQuota",
    "ErrorLog",
    "FetchLocks",
    "Gate",
    "GatewayDown",
    "LimitsUnavailable",
    "NewProductAllowance",
    "QuotaExhausted",
    "QuotaStatus",
    "RateLimited",
    "RateLimiter",
    "beijing_day",
    "credentials_fingerprint",
    "next_reset",
]
