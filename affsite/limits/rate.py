"""The speed limiter: gateway calls per second, shared by every worker process.

Why not ``diskcache.throttle``: it refills the bucket whenever a process starts, breaks when its
key is evicted, and sleeps inside the request. See ``RateLimiter``.
"""

from __future__ import annotations

import math

from affsite.cache import Store, StoreError, Tx
from affsite.clock import Clock, Sleeper
from affsite.limits.refusals import LimitsUnavailable, RateLimited
from affsite.limits.stored import json_dict, number


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
        :raise LimitsUnavailable: the bucket cannot be updated.
        """
        if rate <= 0 or not math.isfinite(rate):
            return 0.0
        capacity = max(1.0, rate)

        def reserve(tx: Tx) -> float | None:
            now = self._clock()
            state = json_dict(tx.get(self.KEY)) or {}
            tokens = number(state.get("tokens"), capacity)
            # A clock that went back refills nothing this time, and the bucket carries on
            # from the new time instead of waiting for the clock to catch up.
            last = min(number(state.get("at"), now), now)
            elapsed = now - last
            tokens = min(capacity, tokens + elapsed * rate)
            wait = 0.0 if tokens >= 1.0 else (1.0 - tokens) / rate
            if wait > max_wait:
                return None
            tx.set(self.KEY, {"tokens": tokens - 1.0, "at": now})
            return wait

        try:
            wait = self._ctl.atomic(reserve)
        except StoreError as error:
            raise LimitsUnavailable(f"the speed limiter cannot be updated: {error}") from error
        if wait is None:
            raise RateLimited("the speed limiter has no free slot soon enough")
        if wait > 0:
            self._sleep(wait)
        return wait
