"""The shared limits on gateway calls, under the names they have always been imported by.

The code lives in ``affsite.limits``, one module per limit; this module only re-exports it so
that ``from affsite.limiter import ...`` keeps working.
"""

from __future__ import annotations

from affsite.limits.ban import BanState
from affsite.limits.breaker import BreakerStatus, CircuitBreaker, credentials_fingerprint
from affsite.limits.gate import AttemptPolicy, Gate
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
    QuotaExhausted,
    RateLimited,
)

__all__ = [
    "DAY",
    "AttemptPolicy",
    "BanState",
    "Banned",
    "BreakerStatus",
    "CallRefused",
    "CircuitBreaker",
    "CredentialsRefused",
    "DailyQuota",
    "FetchLocks",
    "Gate",
    "GatewayDown",
    "NewProductAllowance",
    "QuotaExhausted",
    "QuotaStatus",
    "RateLimited",
    "RateLimiter",
    "beijing_day",
    "credentials_fingerprint",
    "next_reset",
]
