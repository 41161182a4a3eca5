"""Switchable gateway misbehaviour for tests: bans, 5xx, slow, malformed and hanging answers.

A fault affects the ``/sync`` calls that arrive while it is active. ``times`` limits it to that
many affected calls, after which it clears itself; without ``times`` it stays until cleared
(a plain rate-limit ban instead ends when the sandbox clock passes its end).

Kinds and options:
- ``rate_limit``: ``ApiCallLimit`` error bodies. ``ban_seconds`` (default 1) is the ban length,
  counted on the sandbox clock from injection. With ``per_second=N`` it is instead a standing
  limit: more than N calls in one clock second start a ban of ``ban_seconds``.
- ``server_error``: an HTML error page with HTTP ``status`` (default 502).
- ``slow``: waits ``seconds`` (default 5) on the sandbox's sleeper, then answers normally.
- ``malformed``: the normal answer cut off halfway (invalid JSON), HTTP 200.
- ``timeout``: in-process transports raise ``httpx.ReadTimeout``; a real server waits
  ``seconds`` (default 30) and then answers 504.
- ``not_registered``: ``resp_code`` 401 "This publisher is not registered".
"""

from __future__ import annotations

import math
import threading
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

FAULT_KINDS = ("rate_limit", "server_error", "slow", "malformed", "timeout", "not_registered")

_OPTIONS: dict[str, dict[str, float]] = {
    "rate_limit": {"ban_seconds": 1.0, "per_second": 0.0},
    "server_error": {"status": 502.0},
    "slow": {"seconds": 5.0},
    "malformed": {},
    "timeout": {"seconds": 30.0},
    "not_registered": {},
}


@dataclass
class Fault:
    kind: str
    remaining: int | None
    options: dict[str, float]
    banned_until: float | None = None
    window: tuple[int, int] = (-1, 0)  # (clock second, calls in it) for per_second limits

    def describe(self) -> dict[str, Any]:
        return {"kind": self.kind, "remaining": self.remaining, **self.options}


@dataclass(frozen=True)
class Outcome:
    """What the faults decided for one call: waits first, then at most one terminal fault."""

    sleeps: tuple[float, ...] = ()
    kind: str | None = None
    options: Mapping[str, float] = field(default_factory=dict)


def make_fault(kind: str, times: int | None, options: Mapping[str, Any], now: float) -> Fault:
    """Validate an injection request; raise ValueError with a readable reason."""
    if kind not in _OPTIONS:
        raise ValueError(f"unknown fault kind {kind!r}; expected one of {', '.join(FAULT_KINDS)}")
    if times is not None and (isinstance(times, bool) or not isinstance(times, int) or times < 1):
        raise ValueError("times must be a positive whole number or None")
    allowed = _OPTIONS[kind]
    unknown = set(options) - set(allowed)
    if unknown:
        raise ValueError(f"unknown option(s) for {kind}: {', '.join(sorted(unknown))}")
    values = dict(allowed)
    for name, value in options.items():
        if isinstance(value, bool) or not isinstance(value, int | float) or value < 0:
            raise ValueError(f"{name} must be a non-negative number")
        values[name] = float(value)
    if kind == "server_error" and not 400 <= values["status"] < 600:
        raise ValueError("status must be an HTTP error status (400-599)")
    fault = Fault(kind, times, values)
    if kind == "rate_limit" and not values["per_second"] and times is None:
        fault.banned_until = now + values["ban_seconds"]
    return fault


class FaultBoard:
    """The active faults of one sandbox; safe to use from many server threads."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._faults: list[Fault] = []

    def add(self, fault: Fault) -> None:
        with self._lock:
            self._faults.append(fault)

    def clear(self) -> None:
        with self._lock:
            self._faults.clear()

    def describe(self) -> list[dict[str, Any]]:
        with self._lock:
            return [f.describe() for f in self._faults]

    def decide(self, now: float) -> Outcome:
        """Apply the active faults to one arriving call, consuming their ``times``."""
        sleeps: list[float] = []
        with self._lock:
            for fault in list(self._faults):
                options = self._affects(fault, now)
                if options is None:
                    continue
                if fault.remaining is not None:
                    fault.remaining -= 1
                    if fault.remaining <= 0:
                        self._faults.remove(fault)
                if fault.kind == "slow":
                    sleeps.append(options["seconds"])
                    continue
                return Outcome(tuple(sleeps), fault.kind, options)
        return Outcome(tuple(sleeps))

    def _affects(self, fault: Fault, now: float) -> dict[str, float] | None:
        """The options this call is answered with, or None when the fault lets it through."""
        if fault.kind != "rate_limit":
            return fault.options
        ban = fault.options["ban_seconds"]
        if fault.options["per_second"]:
            if fault.banned_until is not None and now < fault.banned_until:
                return {**fault.options, "ban_seconds": fault.banned_until - now}
            second, count = fault.window
            count = count + 1 if second == int(now) else 1
            fault.window = (int(now), count)
            if count <= fault.options["per_second"]:
                return None
            fault.banned_until = now + ban
            return fault.options
        if fault.banned_until is None:  # counted ban: the next ``times`` calls
            return fault.options
        if now < fault.banned_until:
            return {**fault.options, "ban_seconds": fault.banned_until - now}
        self._faults.remove(fault)
        return None


def ban_message(ban_seconds: float) -> str:
    """The gateway's own wording for a rate-limit ban."""
    return (
        "Api access frequency exceeds the limit. "
        f"this ban will last {math.ceil(ban_seconds)} seconds"
    )
