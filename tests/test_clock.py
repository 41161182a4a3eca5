"""Time as a dependency: the fake clock moves only when a test moves it."""

from __future__ import annotations

import time

from affsite.clock import FakeClock, system_clock


def test_the_fake_clock_stands_still_until_advanced() -> None:
    clock = FakeClock(start=100.0)
    assert clock() == clock() == 100.0
    clock.advance(2.5)
    assert clock() == 102.5


def test_sleeping_on_the_fake_clock_moves_it_at_once_and_never_backwards() -> None:
    clock = FakeClock(start=0.0)
    clock.sleep(30)
    clock.sleep(-5)  # a negative wait (a deadline already past) costs nothing
    assert clock() == 30.0


def test_the_system_clock_is_wall_time() -> None:
    assert abs(system_clock() - time.time()) < 60
