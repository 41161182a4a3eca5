"""The circuit breaker: pauses gateway calls after repeated failures or rejected credentials.

A gateway that keeps failing is not called again at every page view: calls pause, and one
probe call tells when it is back. Rejected credentials pause calls until the settings change.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import math
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from affsite.cache import Store, StoreError, Tx
from affsite.clock import Clock
from affsite.limits.refusals import CredentialsRefused, GatewayDown
from affsite.limits.stored import SAFETY_MARGIN, json_dict, number
from affsite.settings import Settings


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


class BreakerState(StrEnum):
    CLOSED = "closed"  # calls go through
    OPEN = "open"  # calls are paused
    HALF_OPEN = "half-open"  # the pause is over: the next call is the probe
    CREDENTIALS = "credentials"  # paused until the credentials change


@dataclass(frozen=True, kw_only=True)
class BreakerStatus:
    state: BreakerState
    failures: int
    open_until: float | None
    reason: str | None


class CircuitBreaker:
    """Opens after ``threshold`` consecutive failed attempts; while open, calls are refused at
    once. After ``reset_timeout`` (doubling per re-opening, up to ``max_reset_timeout``)
    exactly one process gets to make a probe call: success closes the breaker, failure opens
    it again. Credential errors open it "until the settings change" (keyed by a fingerprint of
    the credentials).

    Every refusal says until when not to ask again (``GatewayDown.until``): the end of the
    pause, or, while another process holds the probe, ``probe_retry`` seconds. The probe's
    answer ends that wait (success closes the breaker), and asking again costs no call: it is
    refused again while the probe lasts, so only the probe reaches the gateway.
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
        probe_retry: float = 2.0,
    ) -> None:
        self._ctl = ctl
        self._clock = clock
        self.threshold = max(1, threshold)
        self.reset_timeout = reset_timeout
        self.max_reset_timeout = max_reset_timeout
        self.probe_timeout = probe_timeout
        self.probe_retry = probe_retry

    def _state(self) -> dict[str, Any]:
        return json_dict(self._ctl.get(self.KEY)) or {}

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
        open_until = number(state.get("open_until"))
        if not open_until:
            return
        now = self._clock()
        # No pause is ever longer than max_reset_timeout; a longer one means the clock went
        # back, and then the probe is due now.
        if now < open_until and open_until - now <= self.max_reset_timeout:
            raise GatewayDown(
                f"AliExpress failed {int(number(state.get('failures')))} times in a row; "
                f"calls are paused for {max(1, math.ceil(open_until - now))} s",
                until=open_until,
            )

        def take_probe(tx: Tx) -> float | None:
            """None: this caller makes the call; else the moment to ask again."""
            # Read again inside the transaction: a probe that failed since ``state`` was read
            # opened the breaker again (for a pause that may look too long from this ``now``,
            # a moment older), and then there is nothing left to probe.
            current = number((json_dict(tx.get(self.KEY)) or {}).get("open_until"))
            if current != open_until:
                return current or None  # opened again: wait for its end; closed: call
            probe = json_dict(tx.get(self.PROBE_KEY))
            held_until = number(probe.get("until")) if probe is not None else 0.0
            if held_until > now:
                # Not the probe's whole lease: its answer usually comes within one call's
                # deadline, and a caller told to wait that long would leave its products
                # stale long after a successful probe closed the breaker.
                return min(held_until, now + self.probe_retry)
            tx.set(
                self.PROBE_KEY,
                {"owner": owner, "until": now + self.probe_timeout},
                expire=self.probe_timeout + SAFETY_MARGIN,
            )
            return None

        try:
            retry = self._ctl.atomic(take_probe)
        except StoreError:
            retry = now + self.probe_retry
        if retry is not None:
            raise GatewayDown("another worker is testing whether AliExpress is back", until=retry)

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
            state = json_dict(tx.get(self.KEY)) or {}
            failures = int(number(state.get("failures"))) + 1
            was_open = bool(state.get("open_until"))
            openings = int(number(state.get("openings")))
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
            state = json_dict(tx.get(self.KEY)) or {}
            state.update({"auth": fingerprint, "auth_message": message, "auth_fix": fix})
            tx.set(self.KEY, state)
            tx.delete(self.PROBE_KEY)

        with contextlib.suppress(StoreError):
            self._ctl.atomic(record)

    def status(self, fingerprint: str | None = None) -> BreakerStatus:
        state = self._state()
        if fingerprint is not None and state.get("auth") == fingerprint:
            return BreakerStatus(
                state=BreakerState.CREDENTIALS,
                failures=0,
                open_until=None,
                reason=str(state.get("auth_message") or ""),
            )
        open_until = number(state.get("open_until"))
        failures = int(number(state.get("failures")))
        reason = state.get("reason") if isinstance(state.get("reason"), str) else None
        if not open_until:
            return BreakerStatus(
                state=BreakerState.CLOSED, failures=failures, open_until=None, reason=reason
            )
        kind = BreakerState.OPEN if self._clock() < open_until else BreakerState.HALF_OPEN
        return BreakerStatus(state=kind, failures=failures, open_until=open_until, reason=reason)

    def reset(self) -> None:
        self._ctl.delete(self.KEY)
        self._ctl.delete(self.PROBE_KEY)
