"""Instants and durations as people read them; the quota day turns at midnight Beijing time."""

from __future__ import annotations

from datetime import datetime

from affsite.moments import BEIJING, duration, moment


def test_midnight_in_beijing_is_four_in_the_afternoon_utc() -> None:
    texts = moment(1_700_064_000)
    assert texts["utc"] == "2023-11-15 16:00 UTC"
    assert texts["beijing"] == "2023-11-16 00:00 Beijing"
    assert datetime.fromisoformat(texts["iso"]).astimezone(BEIJING).hour == 0


def test_durations_round_down_to_the_two_largest_units() -> None:
    assert duration(59.9) == "59 s"
    assert duration(60) == "1 min"
    assert duration(3_600 + 59) == "1 h 0 min"
    assert duration(86_400 * 3 + 5) == "3 d 0 h"


def test_a_negative_duration_reads_as_zero() -> None:
    assert duration(-10) == "0 s"
