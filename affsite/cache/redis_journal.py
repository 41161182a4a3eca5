"""``Journal`` (``journal``) in a Redis stream shared by every machine of a site.

One stream under the site's prefix; each record is one entry whose only field holds the record
as JSON (never pickle). Each append then trims the entries more than ``KEEP_SECONDS`` older
than the one it added, by the positions Redis gives (its own clock, so a machine whose clock is
wrong cannot trim too much), exactly: a few appends a minute per process cost nothing worth
saving. Reads and appends go through the process's ``RedisLink``: while Redis cannot be
reached they fail at once, and the records are lost, which the state a journal carries (a
hint) can afford.
"""

from __future__ import annotations

import json
import logging
from typing import Any

import redis
from redis.exceptions import RedisError

from affsite.cache.journal import KEEP_SECONDS, START
from affsite.cache.redis_link import RedisLink, RedisUnavailable

log = logging.getLogger(__name__)

_FIELD = b"r"


class RedisJournal:
    """The journal at ``key`` (see the module doc)."""

    def __init__(self, link: RedisLink, key: str, *, keep_seconds: float = KEEP_SECONDS) -> None:
        self._link = link
        self.key = key
        self.keep_seconds = keep_seconds

    def append(self, record: dict[str, Any]) -> bool:
        payload = json.dumps(record, separators=(",", ":"), ensure_ascii=True)

        def add(client: redis.Redis) -> None:
            added = _position(client.xadd(self.key, {_FIELD: payload})) or START
            newest_ms = int(added.partition("-")[0])  # Redis's clock, in milliseconds
            oldest = max(0, newest_ms - int(self.keep_seconds * 1000))
            client.xtrim(self.key, minid=oldest, approximate=False)

        try:
            self._link.run(add)
        except (RedisUnavailable, RedisError) as error:
            log.debug("journal %s: record not appended (%s)", self.key, error)
            return False
        return True

    def read_after(self, position: str, limit: int) -> list[tuple[str, dict[str, Any]]]:
        try:
            entries = self._link.run(
                lambda client: client.xrange(self.key, min=f"({position}", count=limit)
            )
        except (RedisUnavailable, RedisError) as error:
            log.debug("journal %s: not read (%s)", self.key, error)
            return []
        records: list[tuple[str, dict[str, Any]]] = []
        for raw_position, fields in entries or []:
            found = _position(raw_position)
            record = _record(fields.get(_FIELD) if isinstance(fields, dict) else None)
            if found is not None:
                # An unreadable record still moves the position on: it is skipped once.
                records.append((found, record if record is not None else {}))
        return records

    def last_position(self) -> str | None:
        try:
            newest = self._link.run(lambda client: client.xrevrange(self.key, count=1))
        except (RedisUnavailable, RedisError):
            return None
        if not newest:
            return START
        return _position(newest[0][0]) or START


def _position(raw: object) -> str | None:
    text = raw.decode("ascii", "replace") if isinstance(raw, bytes) else str(raw)
    first, _, second = text.partition("-")
    return text if first.isdigit() and second.isdigit() else None


def _record(raw: object) -> dict[str, Any] | None:
    if not isinstance(raw, bytes | str):
        return None
    try:
        value = json.loads(raw)
    except ValueError:
        return None
    return value if isinstance(value, dict) else None
