"""A ban announced by the gateway, shared so that no worker calls until it ends."""

from __future__ import annotations

import contextlib
import math
from typing import Any

from affsite.cache import Store, StoreError, Tx
from affsite.clock import Clock
from affsite.limits.refusals import Banned
from affsite.limits.stored import SAFETY_MARGIN, json_dict, number


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
            current = json_dict(tx.get(self.KEY)) or {}
            kept = max(until, number(current.get("until"), 0.0))
            tx.set(
                self.KEY,
                {"until": kept, "since": now, "message": message},
                expire=max(1.0, kept - now) + SAFETY_MARGIN,
            )
            return kept

        try:
            return self._ctl.atomic(record)
        except StoreError:
            return until

    def active(self) -> dict[str, Any] | None:
        state = json_dict(self._ctl.get(self.KEY))
        if state is None:
            return None
        now = self._clock()
        until = number(state.get("until"))
        since = number(state.get("since"), now)
        if now < since:
            # The clock went back since the ban was recorded: the ban lasts as long as
            # announced, counted from now, not until the clock catches up. Recorded again so
            # every process counts from the same moment.
            until = now + max(0.0, until - since)
            state = {**state, "until": until, "since": now}
            with contextlib.suppress(StoreError):
                self._ctl.set(self.KEY, state, expire=max(1.0, until - now) + SAFETY_MARGIN)
        return state if until > now else None

    def check(self) -> None:
        """:raise Banned: a ban is in force."""
        state = self.active()
        if state is not None:
            until = number(state.get("until"))
            seconds = max(1, math.ceil(until - self._clock()))
            raise Banned(f"AliExpress banned calls for another {seconds} s", until=until)
