"""Cache entries and their lifetimes (fresh, then servable-stale, then gone), and their keys.

An entry is a JSON-safe dict in the data store::

    {"v": 1, "data": <Product.to_dict()> or null, "fetched_at": t,
     "fresh_until": t + cache_ttl * j, "stale_until": fresh_until + stale_ttl}

``data`` null is a negative entry: the gateway did not return the product (not promotable or
unknown); it lives ``negative_ttl`` instead of ``cache_ttl``. ``j`` is a jitter factor in
[0.9, 1.1], drawn once per gateway call: entries fetched together expire together (so one
call refreshes them again) while separate imports spread out.

Keys carry a namespace: a hash of every setting that changes the answer (country, currency,
language, tracking id, app key, gateway URL). Saving different settings therefore starts a
fresh namespace; old entries are never served again and age out of the store.

Beside each entry the control store may hold a failure memo (``err:``): a fetch that failed
is not retried for a while, and a fetch lock (``lock:``) while one worker fetches the id.
"""

from __future__ import annotations

import hashlib
import json
import math
import random
from dataclasses import dataclass
from typing import Any

from affsite.cache import Store
from affsite.catalog.answers import Failure
from affsite.catalog.public_json import Reason
from affsite.settings import Settings

ENTRY_VERSION = 1
JITTER = 0.10
# Keep an entry on disk this long beyond its stale limit (real seconds): the limit itself is
# enforced in code against the injected clock.
STORE_GRACE = 3600.0
# A failure memo stays in the store a minute past its end (garbage collection only).
MEMO_GRACE = 60.0


def namespace(settings: Settings) -> str:
    """16 hex digits naming every setting that changes what the gateway answers."""
    material = json.dumps(
        [
            ENTRY_VERSION,
            settings.country,
            settings.currency,
            settings.language,
            settings.tracking_id,
            settings.app_key,
            settings.api_url,
        ]
    )
    return hashlib.sha256(material.encode("utf-8")).hexdigest()[:16]


def entry_key(ns: str, product_id: str) -> str:
    """
    >>> entry_key("0123456789abcdef", "1005004757833857")
    'p1:0123456789abcdef:1005004757833857'
    """
    return f"p{ENTRY_VERSION}:{ns}:{product_id}"


def memo_key(ns: str, product_id: str) -> str:
    return f"err:{ns}:{product_id}"


def lock_key(ns: str, product_id: str) -> str:
    return f"lock:{ns}:{product_id}"


def jitter_factor(rng: random.Random) -> float:
    return 1.0 + rng.uniform(-JITTER, JITTER)


def _finite(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value) if math.isfinite(value) else None


@dataclass(frozen=True, kw_only=True)
class Entry:
    """One cached gateway answer for one product id."""

    data: dict[str, Any] | None
    fetched_at: float
    fresh_until: float
    stale_until: float

    @property
    def negative(self) -> bool:
        return self.data is None

    def fresh(self, now: float) -> bool:
        return now < self.fresh_until

    def servable(self, now: float) -> bool:
        """Fresh, or expired but still within the stale limit."""
        return now < self.stale_until

    @classmethod
    def make(
        cls,
        data: dict[str, Any] | None,
        *,
        now: float,
        settings: Settings,
        factor: float,
    ) -> Entry:
        lifetime = settings.negative_ttl if data is None else settings.cache_ttl
        fresh_until = now + lifetime * factor
        return cls(
            data=data,
            fetched_at=now,
            fresh_until=fresh_until,
            stale_until=fresh_until + settings.stale_ttl,
        )

    def store_expire(self, now: float) -> float:
        """Seconds the data store should keep this entry (garbage collection only)."""
        return max(60.0, self.stale_until - now) + STORE_GRACE

    def to_dict(self) -> dict[str, Any]:
        return {
            "v": ENTRY_VERSION,
            "data": self.data,
            "fetched_at": self.fetched_at,
            "fresh_until": self.fresh_until,
            "stale_until": self.stale_until,
        }

    @classmethod
    def from_dict(cls, raw: Any) -> Entry | None:
        """The entry ``raw`` describes, or None when it is not one (damaged, other version)."""
        if not isinstance(raw, dict) or raw.get("v") != ENTRY_VERSION:
            return None
        data = raw.get("data")
        times = [_finite(raw.get(name)) for name in ("fetched_at", "fresh_until", "stale_until")]
        if (data is not None and not isinstance(data, dict)) or None in times:
            return None
        fetched_at, fresh_until, stale_until = (t for t in times if t is not None)
        return cls(
            data=data, fetched_at=fetched_at, fresh_until=fresh_until, stale_until=stale_until
        )


class Entries:
    """The entries (data store) and failure memos (control store) of every namespace."""

    def __init__(self, data: Store, ctl: Store) -> None:
        self._data = data
        self._ctl = ctl

    def read(self, ns: str, pid: str) -> Entry | None:
        return Entry.from_dict(self._data.get(entry_key(ns, pid)))

    def write(self, ns: str, pid: str, entry: Entry, now: float) -> None:
        self._data.set(entry_key(ns, pid), entry.to_dict(), expire=entry.store_expire(now))

    def failure(self, ns: str, pid: str, now: float) -> Failure | None:
        """A failed fetch of ``pid`` remembered until after ``now``, if any."""
        memo = self._ctl.get(memo_key(ns, pid))
        if not isinstance(memo, dict):
            return None
        until = memo.get("until")
        if not isinstance(until, int | float) or until <= now:
            return None
        try:
            reason = Reason(str(memo.get("reason")))
        except ValueError:  # damaged, or a word this version does not know
            return None
        problem, fix = memo.get("problem"), memo.get("fix")
        return Failure(
            reason=reason,
            problem=problem if isinstance(problem, str) else None,
            fix=fix if isinstance(fix, str) else None,
        )

    def remember(self, ns: str, pid: str, failure: Failure, *, until: float, now: float) -> None:
        """Remember that fetching ``pid`` failed, until ``until``."""
        memo = {
            "reason": str(failure.reason),
            "problem": failure.problem,
            "fix": failure.fix,
            "until": until,
        }
        self._ctl.set(memo_key(ns, pid), memo, expire=max(0.0, until - now) + MEMO_GRACE)

    def clear(self) -> int:
        """Forget every entry (of every namespace); the number removed."""
        return self._data.clear()
