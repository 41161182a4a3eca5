"""Time as a dependency.

Everything that waits or expires takes a ``Clock`` (wall-clock epoch seconds) and, where it
waits, a ``Sleeper``, so tests drive time by hand instead of sleeping.
"""

from __future__ import annotations

import time
from collections.abc import Callable

Clock = Callable[[], float]
Sleeper = Callable[[float], None]

system_clock: Clock = time.time
system_sleep: Sleeper = time.sleep


class FakeClock:
    """A clock that only moves when told to; ``sleep`` advances it instead of waiting."""

    def __init__(self, start: float = 1_700_000_000.0) -> None:
        self.now = start

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds

    def sleep(self, seconds: float) -> None:
        self.now += max(0.0, seconds)
