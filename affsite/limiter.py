"""Shared limits on gateway calls: daily quota, speed limiter, ban, circuit breaker, fetch locks.

All state lives in the control store (``affsite.cache``, never evicted), so every worker process
on the machine sees the same numbers; every read-modify-write runs in one store transaction.
Deadlines are stored as epoch seconds of the injected clock and checked against it, so tests
drive them with a fake clock; the store's own expiry is only a real-time safety net for
garbage collection.

Why not ``diskcache.throttle``: it refills the bucket whenever a process starts, breaks when its
key is evicted, and sleeps inside the request. Why not ``memoize_stampede``: it does not
protect cold misses. See ``RateLimiter`` and ``FetchLocks``.

Every refusal is a ``CallRefused`` carrying one reason word that pages can show as a fallback.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from affsite.aliexpress.errors import ApiCallLimit, ApiError, CredentialsError
from affsite.cache import Store, StoreError, Tx
from affsite.catalog_stats import EventLog
from affsite.clock import Clock, Sleeper
from affsite.moments import BEIJING
from affsite.settings import Settings

log = logging.getLogger(__name__)

DAY = 86_400.0

# Real-time expiry (garbage collection only) of control keys that carry their own deadline.
_SAFETY_MARGIN = 300.0


class CallRefused(ApiError):
    """A gateway call was not made because a shared limit said no. ``reason`` is one word.

    It is an ``ApiError`` so that whoever reports gateway failures (the "Test connection"
    check, the CLI) reports these too, with their ``fix``; it is raised by the client's
    ``before_attempt`` hook, before any HTTP traffic.
    """

    reason = "unavailable"

    def __init__(self, message: str, *, fix: str | None = None, until: float | None = None):
        super().__init__(message, fix=fix)
        self.until = until


class QuotaExhausted(CallRefused):
    reason = "quota_exhausted"
    fix = (
        "Today's request quota is spent: pages show saved products until it resets at "
        "00:00 Beijing time (16:00 UTC). Raise the daily quota only if AliExpress raised yours."
    )


class Banned(CallRefused):
    reason = "banned"
    fix = "AliExpress asked us to pause: calls resume by themselves when the ban ends."


class GatewayDown(CallRefused):
    reason = "gateway_down"
    fix = (
        "AliExpress failed several times in a row: calls are paused for a while and pages "
        "show saved products. One test call is made when the pause ends."
    )


class CredentialsRefused(CallRefused):
    reason = "credentials_rejected"
    fix = (
        "AliExpress rejected the App Key, App Secret or Tracking ID: correct them on the "
        "settings page. Calls stay paused until the settings change."
    )


class RateLimited(CallRefused):
    reason = "rate_limited"
    fix = "More pages asked for new products than the speed limiter allows; they load shortly."


def _json_dict(value: Any) -> dict[str, Any] | None:
    return value if isinstance(value, dict) else None


def _number(value: Any, default: float = 0.0) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return default
    return float(value) if math.isfinite(value) else default


# --- daily quota -------------------------------------------------------------------------


def beijing_day(now: float) -> str:
    """The AliExpress quota day (a date in UTC+8) containing ``now``.

    >>> beijing_day(1_700_000_000)  # 2023-11-14 22:13 UTC is already the 15th in Beijing
    '2023-11-15'
    """
    return datetime.fromtimestamp(now, tz=BEIJING).date().isoformat()


def next_reset(now: float) -> float:
    """Epoch seconds of the next 00:00 Beijing time (16:00 UTC) after ``now``."""
    local = datetime.fromtimestamp(now, tz=BEIJING)
    midnight = datetime(local.year, local.month, local.day, tzinfo=BEIJING) + timedelta(days=1)
    return midnight.timestamp()


@dataclass(frozen=True)
class QuotaStatus:
    """Today's quota in numbers; ``view_left`` excludes the part kept for admin actions."""

    day: str
    used: int
    limit: int
    reserve: int
    reset_at: float
    checked_at: float = 0.0

    @property
    def resets_in(self) -> float:
        """Seconds from ``checked_at`` to the reset."""
        return max(0.0, self.reset_at - self.checked_at)

    @property
    def left(self) -> int:
        return max(0, self.limit - self.used)

    @property
    def view_left(self) -> int:
        return max(0, self.limit - self.reserve - self.used)

    def to_json(self) -> dict[str, Any]:
        return {
            "day": self.day,
            "used": self.used,
            "limit": self.limit,
            "left": self.left,
            "admin_reserve": self.reserve,
            "left_for_pages": self.view_left,
            "resets_at": datetime.fromtimestamp(self.reset_at, tz=UTC).isoformat(),
        }


class DailyQuota:
    """Counts every gateway attempt per Beijing day; refuses above the limit.

    The counter key names the day (``quota:2024-06-01``), so the count starts at 0 on its own
    at 00:00 UTC+8; old days expire from the store after two days.
    """

    def __init__(self, ctl: Store, clock: Clock) -> None:
        self._ctl = ctl
        self._clock = clock

    @staticmethod
    def key(day: str) -> str:
        return f"quota:{day}"

    def charge(self, limit: int) -> int:
        """Count one attempt if fewer than ``limit`` were made today; return the new count.

        :raise QuotaExhausted: ``limit`` attempts were already made today.
        """
        now = self._clock()
        key = self.key(beijing_day(now))

        def take(tx: Tx) -> int | None:
            used = int(_number(tx.get(key), 0))
            if used >= limit:
                return None
            tx.set(key, used + 1, expire=2 * DAY + _SAFETY_MARGIN)
            return used + 1

        try:
            used = self._ctl.atomic(take)
        except StoreError as error:
            raise QuotaExhausted(
                f"the quota counter cannot be updated ({error}); no call was made",
                until=now + 60,
            ) from error
        if used is None:
            raise QuotaExhausted(
                f"today's quota of {limit} requests is spent", until=next_reset(now)
            )
        return used

    def used(self, now: float | None = None) -> int:
        when = self._clock() if now is None else now
        return int(_number(self._ctl.get(self.key(beijing_day(when))), 0))

    def set_used(self, used: int, now: float | None = None) -> None:
        """Overwrite today's count (maintenance and tests)."""
        when = self._clock() if now is None else now
        self._ctl.set(self.key(beijing_day(when)), int(used), expire=2 * DAY + _SAFETY_MARGIN)

    def status(self, daily_quota: int, admin_reserve: int) -> QuotaStatus:
        now = self._clock()
        return QuotaStatus(
            day=beijing_day(now),
            used=self.used(now),
            limit=daily_quota,
            reserve=min(admin_reserve, daily_quota),
            reset_at=next_reset(now),
            checked_at=now,
        )


class NewProductAllowance:
    """Gateway calls a day for products first asked for by anonymous requests.

    Public addresses (the JSON API, embeds) accept any product id, so strangers could make the
    site spend its quota on ids it never shows. Calls for ids that have no cache entry and are
    not featured are taken from this daily allowance (a share of the quota) before they are
    made; the quota itself still counts them. Keyed by the Beijing day like the quota.
    """

    def __init__(self, ctl: Store, clock: Clock) -> None:
        self._ctl = ctl
        self._clock = clock

    @staticmethod
    def key(day: str) -> str:
        return f"new-products:{day}"

    def take(self, calls: int, limit: int) -> int:
        """Grant up to ``calls`` calls from today's allowance of ``limit``; return how many."""
        if calls <= 0:
            return 0
        key = self.key(beijing_day(self._clock()))

        def grant(tx: Tx) -> int:
            used = int(_number(tx.get(key), 0))
            granted = max(0, min(calls, limit - used))
            if granted:
                tx.set(key, used + granted, expire=2 * DAY + _SAFETY_MARGIN)
            return granted

        try:
            return self._ctl.atomic(grant)
        except StoreError:
            return 0  # unknown ids wait; the site's own products are not affected

    def used(self) -> int:
        return int(_number(self._ctl.get(self.key(beijing_day(self._clock()))), 0))


# --- speed limiter -----------------------------------------------------------------------


class RateLimiter:
    """A token bucket shared through the control store: ``rate`` calls per second, bursts up
    to ``max(1, rate)``.

    ``acquire`` reserves the next free slot in one transaction and then sleeps until it (so
    waiters queue fairly across processes without polling); if that slot is further away than
    ``max_wait`` nothing is reserved and the call is refused instead. The bucket is created
    once and never reset by a process start.
    """

    KEY = "rate:bucket"

    def __init__(self, ctl: Store, clock: Clock, sleep: Sleeper) -> None:
        self._ctl = ctl
        self._clock = clock
        self._sleep = sleep

    def acquire(self, rate: float, max_wait: float) -> float:
        """Take one slot; return the seconds slept.

        :raise RateLimited: the next slot is more than ``max_wait`` seconds away.
        """
        if rate <= 0 or not math.isfinite(rate):
            return 0.0
        capacity = max(1.0, rate)

        def reserve(tx: Tx) -> float | None:
            now = self._clock()
            state = _json_dict(tx.get(self.KEY)) or {}
            tokens = _number(state.get("tokens"), capacity)
            # A clock that went back refills nothing this time, and the bucket carries on
            # from the new time instead of waiting for the clock to catch up.
            last = min(_number(state.get("at"), now), now)
            elapsed = now - last
            tokens = min(capacity, tokens + elapsed * rate)
            wait = 0.0 if tokens >= 1.0 else (1.0 - tokens) / rate
            if wait > max_wait:
                return None
            tx.set(self.KEY, {"tokens": tokens - 1.0, "at": now})
            return wait

        try:
            wait = self._ctl.atomic(reserve)
        except StoreError:
            wait = 0.0  # the store falls back to memory itself; this is the last resort
        if wait is None:
            raise RateLimited("the speed limiter has no free slot soon enough")
        if wait > 0:
            self._sleep(wait)
        return wait


# --- ban ---------------------------------------------------------------------------------


class BanState:
    """A ban announced by the gateway ("this ban will last N seconds"), for every process."""

    KEY = "ban"

    def __init__(self, ctl: Store, clock: Clock) -> None:
        self._ctl = ctl
        self._clock = clock

    def ban(self, seconds: float, message: str) -> float:
        """Record a ban of ``seconds`` from now (a longer ban already in force is kept)."""
        now = self._clock()
        until = now + max(1.0, seconds)

        def record(tx: Tx) -> float:
            current = _json_dict(tx.get(self.KEY)) or {}
            kept = max(until, _number(current.get("until"), 0.0))
            tx.set(
                self.KEY,
                {"until": kept, "since": now, "message": message},
                expire=max(1.0, kept - now) + _SAFETY_MARGIN,
            )
            return kept

        try:
            return self._ctl.atomic(record)
        except StoreError:
            return until

    def active(self) -> dict[str, Any] | None:
        state = _json_dict(self._ctl.get(self.KEY))
        if state is None:
            return None
        now = self._clock()
        until = _number(state.get("until"))
        since = _number(state.get("since"), now)
        if now < since:
            # The clock went back since the ban was recorded: the ban lasts as long as
            # announced, counted from now, not until the clock catches up. Recorded again so
            # every process counts from the same moment.
            until = now + max(0.0, until - since)
            state = {**state, "until": until, "since": now}
            with contextlib.suppress(StoreError):
                self._ctl.set(self.KEY, state, expire=max(1.0, until - now) + _SAFETY_MARGIN)
        return state if until > now else None

    def check(self) -> None:
        """:raise Banned: a ban is in force."""
        state = self.active()
        if state is not None:
            until = _number(state.get("until"))
            seconds = max(1, math.ceil(until - self._clock()))
            raise Banned(f"AliExpress banned calls for another {seconds} s", until=until)


# --- circuit breaker ---------------------------------------------------------------------


def credentials_fingerprint(settings: Settings) -> str:
    """A hash of what the gateway judges credentials by (never the secret in clear)."""
    material = json.dumps(
        [
            settings.app_key,
            settings.app_secret,
            settings.sign_method,
            settings.api_url,
            settings.tracking_id,
        ],
    )
    return hashlib.sha256(material.encode("utf-8")).hexdigest()[:24]


@dataclass(frozen=True)
class BreakerStatus:
    state: str  # "closed", "open", "half-open" or "credentials"
    failures: int
    open_until: float | None
    reason: str | None


class CircuitBreaker:
    """Opens after ``threshold`` consecutive failed attempts; while open, calls are refused at
    once. After ``reset_timeout`` (doubling per re-opening, up to ``max_reset_timeout``)
    exactly one process gets to make a probe call: success closes the breaker, failure opens
    it again. Credential errors open it "until the settings change" (keyed by a fingerprint of
    the credentials).
    """

    KEY = "breaker"
    PROBE_KEY = "breaker:probe"

    def __init__(
        self,
        ctl: Store,
        clock: Clock,
        *,
        threshold: int = 5,
        reset_timeout: float = 60.0,
        max_reset_timeout: float = 600.0,
        probe_timeout: float = 60.0,
    ) -> None:
        self._ctl = ctl
        self._clock = clock
        self.threshold = max(1, threshold)
        self.reset_timeout = reset_timeout
        self.max_reset_timeout = max_reset_timeout
        self.probe_timeout = probe_timeout

    def _state(self) -> dict[str, Any]:
        return _json_dict(self._ctl.get(self.KEY)) or {}

    def check(self, fingerprint: str, owner: str) -> None:
        """Let an attempt through, or refuse it.

        :raise CredentialsRefused: the same credentials were rejected before.
        :raise GatewayDown: the breaker is open, or another process holds the probe.
        """
        state = self._state()
        if not state:
            return
        if state.get("auth") == fingerprint:
            fix = state.get("auth_fix")
            raise CredentialsRefused(
                str(state.get("auth_message") or "AliExpress rejected the credentials"),
                fix=fix if isinstance(fix, str) else None,
            )
        open_until = _number(state.get("open_until"))
        if not open_until:
            return
        now = self._clock()
        # No pause is ever longer than max_reset_timeout; a longer one means the clock went
        # back, and then the probe is due now.
        if now < open_until and open_until - now <= self.max_reset_timeout:
            raise GatewayDown(
                f"AliExpress failed {int(_number(state.get('failures')))} times in a row; "
                f"calls are paused for {max(1, math.ceil(open_until - now))} s",
                until=open_until,
            )

        def take_probe(tx: Tx) -> bool:
            probe = _json_dict(tx.get(self.PROBE_KEY))
            if probe is not None and _number(probe.get("until")) > now:
                return False
            tx.set(
                self.PROBE_KEY,
                {"owner": owner, "until": now + self.probe_timeout},
                expire=self.probe_timeout + _SAFETY_MARGIN,
            )
            return True

        try:
            probing = self._ctl.atomic(take_probe)
        except StoreError:
            probing = False
        if not probing:
            raise GatewayDown("another worker is testing whether AliExpress is back")

    def record_success(self) -> None:
        state = self._state()
        if not state or (
            not state.get("failures") and not state.get("open_until") and not state.get("auth")
        ):
            return  # the common case costs one read, no write

        def close(tx: Tx) -> None:
            tx.delete(self.KEY)
            tx.delete(self.PROBE_KEY)

        with contextlib.suppress(StoreError):
            self._ctl.atomic(close)

    def record_failure(self, reason: str) -> bool:
        """Count a failed attempt; return True when this opened (or re-opened) the breaker."""
        now = self._clock()

        def count(tx: Tx) -> bool:
            state = _json_dict(tx.get(self.KEY)) or {}
            failures = int(_number(state.get("failures"))) + 1
            was_open = bool(state.get("open_until"))
            openings = int(_number(state.get("openings")))
            opening = was_open or failures >= self.threshold
            new: dict[str, Any] = {
                "failures": failures,
                "reason": reason,
                "openings": openings,
                "open_until": 0.0,
                "auth": state.get("auth"),
                "auth_message": state.get("auth_message"),
                "auth_fix": state.get("auth_fix"),
            }
            if opening:
                delay = min(self.max_reset_timeout, self.reset_timeout * 2 ** min(openings, 16))
                new["open_until"] = now + delay
                new["openings"] = openings + 1
            tx.set(self.KEY, new)
            tx.delete(self.PROBE_KEY)
            return opening

        try:
            return self._ctl.atomic(count)
        except StoreError:
            return False

    def record_credentials_failure(
        self, fingerprint: str, message: str, fix: str | None = None
    ) -> None:
        def record(tx: Tx) -> None:
            state = _json_dict(tx.get(self.KEY)) or {}
            state.update({"auth": fingerprint, "auth_message": message, "auth_fix": fix})
            tx.set(self.KEY, state)
            tx.delete(self.PROBE_KEY)

        with contextlib.suppress(StoreError):
            self._ctl.atomic(record)

    def status(self, fingerprint: str | None = None) -> BreakerStatus:
        state = self._state()
        if fingerprint is not None and state.get("auth") == fingerprint:
            return BreakerStatus("credentials", 0, None, str(state.get("auth_message") or ""))
        open_until = _number(state.get("open_until"))
        failures = int(_number(state.get("failures")))
        reason = state.get("reason") if isinstance(state.get("reason"), str) else None
        if not open_until:
            return BreakerStatus("closed", failures, None, reason)
        kind = "open" if self._clock() < open_until else "half-open"
        return BreakerStatus(kind, failures, open_until, reason)

    def reset(self) -> None:
        self._ctl.delete(self.KEY)
        self._ctl.delete(self.PROBE_KEY)


# --- single-flight fetch locks -------------------------------------------------------------


class FetchLocks:
    """Per-key locks shared by every process (one gateway fetch per product at a time).

    A lock records its owner and a deadline; a lock past its deadline (its holder died) is
    taken over. Several keys are taken in one transaction, so concurrent requests for the same
    page never split it into extra, partial batches.
    """

    def __init__(self, ctl: Store, clock: Clock, *, ttl: float = 90.0) -> None:
        self._ctl = ctl
        self._clock = clock
        self.ttl = ttl

    def acquire(self, keys: Sequence[str], owner: str, *, limit: int | None = None) -> list[str]:
        """Take every free key of ``keys`` (at most ``limit``); return the ones taken."""
        if not keys:
            return []

        def take(tx: Tx) -> list[str]:
            now = self._clock()
            taken: list[str] = []
            for key in keys:
                if limit is not None and len(taken) >= limit:
                    break
                held = _json_dict(tx.get(key))
                if held is not None and _number(held.get("until")) > now:
                    continue
                tx.set(key, {"owner": owner, "until": now + self.ttl}, expire=self.ttl + 60)
                taken.append(key)
            return taken

        try:
            return self._ctl.atomic(take)
        except StoreError:
            # No shared state at all (should not happen: the control store falls back to
            # memory): proceed without single-flight rather than never fetching.
            return list(keys[:limit] if limit is not None else keys)

    def release(self, keys: Sequence[str], owner: str) -> None:
        if not keys:
            return

        def drop(tx: Tx) -> None:
            for key in keys:
                held = _json_dict(tx.get(key))
                if held is not None and held.get("owner") == owner:
                    tx.delete(key)

        with contextlib.suppress(StoreError):
            self._ctl.atomic(drop)

    def held(self, key: str) -> bool:
        held = _json_dict(self._ctl.get(key))
        return held is not None and _number(held.get("until")) > self._clock()


# --- everything between the catalog and one attempt ----------------------------------------


@dataclass(frozen=True)
class AttemptPolicy:
    """How one kind of caller may spend gateway attempts."""

    uses_reserve: bool  # may dip into the part of the quota kept for admin actions
    max_rate_wait: float  # seconds it may wait for the speed limiter


class Gate:
    """The ``before_attempt``/``after_attempt`` hooks of the API client, in one place.

    Before every attempt (retries included): ban, breaker, speed limiter, then the daily
    quota is charged, so a counted attempt is an attempt made. After every attempt: a ban is
    shared, failures feed the breaker, credentials errors pause calls until the settings
    change, and the error is logged in plain words for the dashboard.
    """

    def __init__(
        self,
        ctl: Store,
        clock: Clock,
        sleep: Sleeper,
        *,
        events: EventLog,
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
        self._events = events
        self._clock = clock

    def before_attempt(self, settings: Settings, policy: AttemptPolicy, owner: str) -> None:
        """:raise CallRefused: a shared limit forbids this attempt (nothing was counted)."""
        self.ban.check()
        self.breaker.check(credentials_fingerprint(settings), owner)
        self.rate.acquire(settings.rate_limit, policy.max_rate_wait)
        self.ban.check()  # a ban may have started while waiting for the limiter
        limit = settings.daily_quota
        if not policy.uses_reserve:
            limit -= min(settings.admin_reserve, settings.daily_quota)
        self.quota.charge(limit)

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
        self, settings: Settings, policy: AttemptPolicy, owner: str
    ) -> tuple[Callable[[str], None], Callable[[str, ApiError | None], None]]:
        """The two callables ``client_for`` takes, bound to ``settings`` and ``policy``."""

        def before(method: str) -> None:
            self.before_attempt(settings, policy, owner)

        def after(method: str, error: ApiError | None) -> None:
            self.after_attempt(settings, method, error)

        return before, after
