"""Single-flight fetch locks: one gateway fetch per product at a time, across processes.

Why not ``memoize_stampede``: it does not protect cold misses. See ``FetchLocks``.
"""

from __future__ import annotations

import contextlib
from collections.abc import Sequence

from affsite.cache import Store, StoreError, Tx
from affsite.clock import Clock
from affsite.limits.stored import json_dict, number


class FetchLocks:
    """Per-key locks shared by every process (one gateway fetch per product at a time).

    A lock records its owner and a deadline; a lock past its deadline (its holder died) is
    taken over. Several keys are taken in one transaction, so concurrent requests for the same
    page never split it into extra, partial batches.
    """

    def __init__(self, ctl: Store, clock: Clock, *, ttl: float = 90.0) -> None:
        self._ctl = ctl
        self._clock = clock
        self.ttl = ttl

    def acquire(self, keys: Sequence[str], owner: str, *, limit: int | None = None) -> list[str]:
        """Take every free key of ``keys`` (at most ``limit``); return the ones taken."""
        if not keys:
            return []

        def take(tx: Tx) -> list[str]:
            now = self._clock()
            taken: list[str] = []
            for key in keys:
                if limit is not None and len(taken) >= limit:
                    break
                held = json_dict(tx.get(key))
                if held is not None and number(held.get("until")) > now:
                    continue
                tx.set(key, {"owner": owner, "until": now + self.ttl}, expire=self.ttl + 60)
                taken.append(key)
            return taken

        try:
            return self._ctl.atomic(take)
        except StoreError:
            # No shared state at all: proceed without single-flight rather than never
            # fetching. The attempt gate refuses every call while the limits are unshared.
            return list(keys[:limit] if limit is not None else keys)

    def release(self, keys: Sequence[str], owner: str) -> None:
        if not keys:
            return

        def drop(tx: Tx) -> None:
            for key in keys:
                held = json_dict(tx.get(key))
                if held is not None and held.get("owner") == owner:
                    tx.delete(key)

        with contextlib.suppress(StoreError):
            self._ctl.atomic(drop)

    def held(self, key: str) -> bool:
        held = json_dict(self._ctl.get(key))
        return held is not None and number(held.get("until")) > self._clock()
