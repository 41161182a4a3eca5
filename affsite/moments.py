"""Instants and durations as people read them: UTC, the server's local time, Beijing time.

The AliExpress quota day runs on Beijing time (UTC+8, no daylight saving), so the daily reset
is 00:00 Beijing = 16:00 UTC; pages show it in all three.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

BEIJING = timezone(timedelta(hours=8), "UTC+8")


def moment(epoch: float) -> dict[str, str]:
    """``{"iso", "utc", "local", "beijing"}`` texts for an instant.

    >>> moment(1_700_064_000)["utc"], moment(1_700_064_000)["beijing"]
    ('2023-11-15 16:00 UTC', '2023-11-16 00:00 Beijing')
    """
    utc = datetime.fromtimestamp(epoch, tz=UTC)
    return {
        "iso": utc.isoformat(),
        "utc": f"{utc:%Y-%m-%d %H:%M} UTC",
        "local": f"{utc.astimezone():%Y-%m-%d %H:%M %Z}",
        "beijing": f"{utc.astimezone(BEIJING):%Y-%m-%d %H:%M} Beijing",
    }


def duration(seconds: float) -> str:
    """A short, rounded-down length of time.

    >>> duration(42), duration(3 * 3600 + 12 * 60 + 5), duration(2 * 86400 + 7200)
    ('42 s', '3 h 12 min', '2 d 2 h')
    """
    total = max(0, int(seconds))
    days, rest = divmod(total, 86_400)
    hours, rest = divmod(rest, 3_600)
    minutes, secs = divmod(rest, 60)
    if days:
        return f"{days} d {hours} h"
    if hours:
        return f"{hours} h {minutes} min"
    if minutes:
        return f"{minutes} min"
    return f"{secs} s"
