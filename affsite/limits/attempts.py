"""Everything between the catalog and one gateway attempt, as the API client's hooks.

The gate applies the shared limits in a fixed order before every attempt and feeds each
attempt's outcome back to them, so no caller can forget one. Limits that cannot be shared
between workers are no limits: while the control store cannot be kept on disk, every attempt
is refused (``LimitsUnavailable``).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

from affsite.aliexpress.errors import ApiCallLimit, ApiError, CredentialsError
from affsite.cache import Store
from affsite.clock import Clock, Sleeper
from affsite.limits.ban import BanState
from affsite.limits.breaker import BreakerState, CircuitBreaker, credentials_fingerprint
from affsite.limits.quota import DailyQuota, NewProductAllowance
from affsite.limits.rate import RateLimiter
from affsite.limits.refusals import LimitsUnavailable
from affsite.settings import Settings

log = logging.getLogger(__name__)


class ErrorLog(Protocol):
    """Where failed attempts are reported in plain words (the catalog's event log)."""

    def error(self, method: str, error: ApiError, at: float) -> None: ...


@dataclass(frozen=True, kw_only=True)
class AttemptPolicy:
    """How one kind of caller may spend gateway attempts."""

    uses_reserve: bool  # may dip into the part of the quota kept for admin actions
    max_rate_wait: float  # seconds it may wait for the speed limiter


class Gate:
    """The ``before_attempt``/``after_attempt`` hooks of the API client, in one place.

    Before every attempt (retries included): the limits must be shared, then ban, breaker,
    speed limiter, and the daily quota is charged, so an attempt made is an attempt counted.
    After every attempt: a ban is shared, failures feed the breaker, credentials errors pause
    calls until the settings change, and the error is logged in plain words for the dashboard.
    """

    def __init__(
        self,
        ctl: Store,
        clock: Clock,
        sleep: Sleeper,
        *,
        events: ErrorLog,
        breaker_threshold: int = 5,
        breaker_reset: float = 60.0,
    ) -> None:
        self.quota = DailyQuota(ctl, clock)
        self.new_products = NewProductAllowance(ctl, clock)
        self.rate = RateLimiter(ctl, clock, sleep)
        self.ban = BanState(ctl, clock)
        self.breaker = CircuitBreaker(
            ctl, clock, threshold=breaker_threshold, reset_timeout=breaker_reset
        )
        self._ctl = ctl
        self._events = events
        self._clock = clock

    def before_attempt(
        self,
        settings: Settings,
        policy: AttemptPolicy,
        owner: str,
        *,
        limits: Settings | None = None,
    ) -> None:
        """:raise CallRefused: a shared limit forbids this attempt. Refusals before the quota
        count nothing; ``LimitsUnavailable`` after it may have counted (refusing is the safe
        side when the count is in doubt).

        ``settings``: what the call is made with (its credentials). ``limits``: the settings
        in force now, when they may have been saved since (None: ``settings``); the speed
        limit, the daily quota and its admin reserve are theirs.
        """
        limits = limits or settings
        self._require_shared()
        self.ban.check()
        self.breaker.check(credentials_fingerprint(settings), owner)
        self.rate.acquire(limits.rate_limit, policy.max_rate_wait)
        self.ban.check()  # a ban may have started while waiting for the limiter
        limit = limits.daily_quota
        if not policy.uses_reserve:
            limit -= min(limits.admin_reserve, limits.daily_quota)
        self.quota.charge(limit)
        # A store failure during the steps above moved the limits into this process's memory:
        # what they allowed is then unknown to the other workers, so the attempt is not made.
        self._require_shared()

    def refuses_now(self, settings: Settings) -> bool:
        """Whether an attempt for a page would be refused right now: the limits are not
        shared, a ban or an open breaker pauses calls, or the quota pages may use is spent.
        Reads only: nothing is charged and no probe is taken (a half-open breaker's probe may
        still go, so it does not count as refusing).
        """
        if self._ctl.not_shared_reason() is not None or self.ban.active() is not None:
            return True
        state = self.breaker.status(credentials_fingerprint(settings)).state
        if state in (BreakerState.OPEN, BreakerState.CREDENTIALS):
            return True
        limit = settings.daily_quota - min(settings.admin_reserve, settings.daily_quota)
        return self.quota.used() >= limit

    def _require_shared(self) -> None:
        """:raise LimitsUnavailable: the limits are not kept where every worker sees them."""
        reason = self._ctl.not_shared_reason()
        if reason is not None:
            raise LimitsUnavailable(reason)

    def after_attempt(self, settings: Settings, method: str, error: ApiError | None) -> None:
        if error is None:
            self.breaker.record_success()
            return
        self._events.error(method, error, self._clock())
        if isinstance(error, ApiCallLimit):
            self.ban.ban(error.ban_seconds, error.message)
        elif isinstance(error, CredentialsError):
            self.breaker.record_credentials_failure(
                credentials_fingerprint(settings), error.message, error.fix
            )
        elif self.breaker.record_failure(type(error).__name__):
            log.warning("gateway failing repeatedly: circuit breaker open")

    def hooks(
        self,
        settings: Settings,
        policy: AttemptPolicy,
        owner: str,
        *,
        limits: Callable[[], Settings] | None = None,
    ) -> tuple[Callable[[str], None], Callable[[str, ApiError | None], None]]:
        """The two callables ``client_for`` takes, bound to ``settings`` and ``policy``.

        ``limits`` gives the settings in force at each attempt: a client may outlive a
        settings save (a renewal's batches, a cron refresh, retries), and a quota lowered
        meanwhile must stop its next attempt, not the next client's.
        """

        def before(method: str) -> None:
            self.before_attempt(
                settings, policy, owner, limits=None if limits is None else limits()
            )

        def after(method: str, error: ApiError | None) -> None:
            self.after_attempt(settings, method, error)

        return before, after
