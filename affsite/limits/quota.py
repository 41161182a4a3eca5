"""Daily counts of gateway calls per AliExpress day: the quota, and the new-product allowance.

The AliExpress quota day runs from 00:00 Beijing time (UTC+8), when AliExpress lifts its ban,
so both counters are keyed by that day and start again from 0 on their own.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from affsite.cache import Store, StoreError, Tx
from affsite.clock import Clock
from affsite.limits.refusals import LimitsUnavailable, QuotaExhausted
from affsite.limits.stored import SAFETY_MARGIN, number
from affsite.moments import BEIJING

DAY = 86_400.0


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


@dataclass(frozen=True, kw_only=True)
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
        :raise LimitsUnavailable: the count cannot be updated.
        """
        now = self._clock()
        key = self.key(beijing_day(now))

        def take(tx: Tx) -> int | None:
            used = int(number(tx.get(key), 0))
            if used >= limit:
                return None
            tx.set(key, used + 1, expire=2 * DAY + SAFETY_MARGIN)
            return used + 1

        try:
            used = self._ctl.atomic(take)
        except StoreError as error:
            raise LimitsUnavailable(
                f"the quota counter cannot be updated: {error}; no call was made"
            ) from error
        if used is None:
            raise QuotaExhausted(
                f"today's quota of {limit} requests is spent", until=next_reset(now)
            )
        return used

    def used(self, now: float | None = None) -> int:
        when = self._clock() if now is None else now
        return int(number(self._ctl.get(self.key(beijing_day(when))), 0))

    def set_used(self, used: int, now: float | None = None) -> None:
        """Overwrite today's count (maintenance and tests)."""
        when = self._clock() if now is None else now
        self._ctl.set(self.key(beijing_day(when)), int(used), expire=2 * DAY + SAFETY_MARGIN)

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
            used = int(number(tx.get(key), 0))
            granted = max(0, min(calls, limit - used))
            if granted:
                tx.set(key, used + granted, expire=2 * DAY + SAFETY_MARGIN)
            return granted

        try:
            return self._ctl.atomic(grant)
        except StoreError:
            return 0  # unknown ids wait; the site's own products are not affected

    def used(self) -> int:
        return int(number(self._ctl.get(self.key(beijing_day(self._clock()))), 0))
