"""Fetching products from the gateway: batches with top-up, single-flight, hand-off.

Only ids that need it are fetched, ``batch_size`` per call, and a partial batch is topped up
with other ids closest to expiry (the site's own first, most viewed first), so every call
carries a full batch. Concurrent requests in any thread or worker process coalesce on per-id
locks in the control store: every fetch starts with ``claim`` (lock the ids' keys, keep the
ones this caller got); the others wait a bounded time for the holder's result, which it
stores before unlocking and also hands to waiting threads of its own process. Every attempt
passes the shared ``Gate`` (ban, breaker, speed limit, quota). After a failure, the ids
concerned are not retried for ``error_memo_seconds``.
"""

from __future__ import annotations

import logging
import os
import random
import threading
import uuid
from dataclasses import dataclass, replace

from affsite.aliexpress import AliExpressClient, ApiError
from affsite.catalog.answers import Failure
from affsite.catalog.connection import ClientFactory, ClientHooks
from affsite.catalog.entries import Entries, Entry, jitter_factor, lock_key, namespace
from affsite.catalog.index import ProductIndex
from affsite.catalog.policy import (
    NEW_PRODUCT_REFUSED,
    Payment,
    PublicShare,
    Purpose,
    Rules,
    keep_window,
    reason_for,
)
from affsite.catalog.public_json import Reason
from affsite.catalog.stats import EventLog
from affsite.clock import Clock, Sleeper
from affsite.limits import CallRefused, FetchLocks, Gate
from affsite.settings import Settings, SettingsProvider

log = logging.getLogger(__name__)

# What fetching one id ends in: the entry now stored, or why there is none.
Outcome = Entry | Failure

# A result handed to waiting threads is useful for seconds (they poll for it, then read the
# store); each holds a product's whole data, so few are kept, and none for long.
HANDOFF_SECONDS = 60.0
MAX_HANDOFF = 256

# Failures whose cause ends by itself within seconds, or is already paused elsewhere: not
# remembered against the product (see ``Fetcher.failed``).
NOT_REMEMBERED = frozenset(
    {Reason.RATE_LIMITED, Reason.CREDENTIALS_REJECTED, Reason.LIMITS_UNAVAILABLE}
)


@dataclass(frozen=True, kw_only=True)
class FetchContext:
    """The settings a fetch was asked under, their namespace, and who asked."""

    settings: Settings
    ns: str
    purpose: Purpose

    @property
    def rules(self) -> Rules:
        return self.purpose.rules

    def in_force(self, settings: SettingsProvider) -> FetchContext | None:
        """This context under the settings in force now, for work queued under it that runs
        later (a renewal); None when those settings name another namespace.

        Such work runs under the settings saved meanwhile, so that a lowered quota, new
        credentials or a new batch size apply to it. Work for another namespace (country,
        currency, language, tracking id, app key or gateway changed) is dropped rather than
        moved: the old namespace's entries are never served again, and the new one's are
        fetched, or renewed, when views ask for them under the new settings; moving the work
        would spend calls on ids no view under those settings has asked for.
        """
        current = settings()
        if current is self.settings:  # the store hands out one object until a save
            return self
        if namespace(current) != self.ns:
            return None
        return replace(self, settings=current)


def new_owner() -> str:
    """A name for one fetch, unique across threads and processes (it owns the locks)."""
    return f"{os.getpid()}-{threading.get_ident()}-{uuid.uuid4().hex[:12]}"


@dataclass(frozen=True, kw_only=True)
class Claim:
    mine: list[str]  # locked for this owner: it fetches them, then unlocks
    others: list[str]  # another fetch holds them


class HandOff:
    """Results of fetches made in this process, for waiters in other threads (also when
    the data store is off), kept briefly.
    """

    def __init__(self, clock: Clock) -> None:
        self._clock = clock
        self._lock = threading.Lock()
        self._results: dict[tuple[str, str], tuple[Outcome, float]] = {}

    def put(self, ns: str, pid: str, outcome: Outcome) -> None:
        now = self._clock()
        horizon = now - HANDOFF_SECONDS
        results = self._results
        with self._lock:
            results.pop((ns, pid), None)  # kept in the order they were handed over
            results[(ns, pid)] = (outcome, now)
            while len(results) > MAX_HANDOFF or next(iter(results.values()))[1] < horizon:
                del results[next(iter(results))]

    def get(self, ns: str, pid: str) -> Outcome | None:
        with self._lock:
            handed = self._results.get((ns, pid))
        return handed[0] if handed is not None else None

    def clear(self) -> None:
        with self._lock:
            self._results.clear()


class Fetcher:
    """Fetches ids in full batches behind the shared limits and the single-flight locks."""

    def __init__(
        self,
        *,
        settings: SettingsProvider,
        entries: Entries,
        index: ProductIndex,
        locks: FetchLocks,
        gate: Gate,
        share: PublicShare,
        events: EventLog,
        client_factory: ClientFactory,
        clock: Clock,
        sleep: Sleeper,
        rng: random.Random,
        error_memo_seconds: float,
        poll_interval: float,
    ) -> None:
        self.settings = settings  # the settings in force (renewals, limits of each attempt)
        self._entries = entries
        self._index = index
        self._locks = locks
        self._gate = gate
        self._share = share
        self._events = events
        self._client_factory = client_factory
        self._clock = clock
        self._sleep = sleep
        self._rng = rng
        self.error_memo_seconds = error_memo_seconds
        self.poll_interval = poll_interval
        self.handoff = HandOff(clock)

    # --- single-flight -----------------------------------------------------------------------

    def claim(self, ns: str, ids: list[str], owner: str, *, limit: int | None = None) -> Claim:
        """Lock the ids' keys in one transaction (at most ``limit``); keep the ones taken."""
        keys = [lock_key(ns, pid) for pid in ids]
        taken = set(self._locks.acquire(keys, owner, limit=limit))
        return Claim(
            mine=[pid for pid, key in zip(ids, keys, strict=True) if key in taken],
            others=[pid for pid, key in zip(ids, keys, strict=True) if key not in taken],
        )

    def release(self, ns: str, ids: list[str], owner: str) -> None:
        self._locks.release([lock_key(ns, pid) for pid in ids], owner)

    def pay(self, context: FetchContext, mine: list[str], owner: str, *, riders: bool) -> Payment:
        """Pay for the public-only ids of ``mine`` (see ``PublicShare``); unlock the refused."""
        site = self._share.site_products(context.settings, context.ns, mine)
        payment = self._share.pay(context.settings, mine, site, riders=riders)
        self.release(context.ns, payment.refused, owner)
        return payment

    # --- cold ids and stale ones -------------------------------------------------------------

    def fetch_cold(self, context: FetchContext, ids: list[str]) -> dict[str, Outcome]:
        """Fetch ``ids`` now, or wait (bounded) for whoever is fetching them already."""
        owner = new_owner()
        outcomes, others = self._fetch_claimed(context, ids, owner)
        if others:
            outcomes.update(self._await_others(context, others, owner))
        return outcomes

    def renew(self, context: FetchContext, ids: list[str], *, for_site: bool) -> None:
        """Refresh stale ``ids`` that nobody else is refreshing. Unless the site asked for
        them (``for_site``), the public-only ones are paid from the public share.
        """
        owner = new_owner()
        mine = self.claim(context.ns, ids, owner).mine
        if mine and not for_site:
            mine = self.pay(context, mine, owner, riders=True).fetch
        if mine:
            self.fetch_owned(context, mine, owner)

    def _fetch_claimed(
        self, context: FetchContext, ids: list[str], owner: str
    ) -> tuple[dict[str, Outcome], list[str]]:
        """Fetch the ids this owner can claim (public ones within the allowance, if the
        purpose is public); the outcomes, and the ids another fetch holds.
        """
        claim = self.claim(context.ns, ids, owner)
        mine = claim.mine
        outcomes: dict[str, Outcome] = {}
        if mine and context.rules.public:
            payment = self.pay(context, mine, owner, riders=False)
            mine = payment.fetch
            outcomes.update(dict.fromkeys(payment.refused, NEW_PRODUCT_REFUSED))
        if mine:
            outcomes.update(self.fetch_owned(context, mine, owner))
        return outcomes, claim.others

    def _await_others(
        self, context: FetchContext, ids: list[str], owner: str
    ) -> dict[str, Outcome]:
        """Wait (bounded by time and by count) for the workers fetching ``ids``.

        A lock that disappears without an answer (its holder died or could not store the
        result) is taken over once.
        """
        wait = context.rules.lock_wait
        deadline = self._clock() + wait
        polls = int(wait / max(self.poll_interval, 0.001)) + 2
        pending = list(ids)
        outcomes: dict[str, Outcome] = {}
        rescued = False
        for _ in range(polls):
            orphans = []
            for pid in list(pending):
                # Lock first, result second: a holder stores its result before unlocking.
                held = self._locks.held(lock_key(context.ns, pid))
                outcome = self._settled(context.ns, pid)
                if outcome is not None:
                    outcomes[pid] = outcome
                    pending.remove(pid)
                elif not held:
                    orphans.append(pid)
            if not pending:
                break
            if orphans and not rescued:
                rescued = True
                taken_over, _ = self._fetch_claimed(context, orphans, owner)
                outcomes.update(taken_over)
                pending = [pid for pid in pending if pid not in taken_over]
                continue
            if self._clock() >= deadline:
                break
            self._sleep(self.poll_interval)
        for pid in pending:
            outcomes[pid] = Failure(reason=Reason.UNAVAILABLE)
        return outcomes

    def _settled(self, ns: str, pid: str) -> Outcome | None:
        """A result another worker produced for ``pid`` since we started waiting, if any."""
        now = self._clock()
        handed = self.handoff.get(ns, pid)
        if handed is not None and (isinstance(handed, Failure) or handed.fresh(now)):
            return handed
        entry = self._entries.read(ns, pid)
        if entry is not None and entry.fresh(now):
            return entry
        return self._entries.failure(ns, pid, now)

    # --- gateway calls -----------------------------------------------------------------------

    def fetch_owned(self, context: FetchContext, ids: list[str], owner: str) -> dict[str, Outcome]:
        """Fetch ``ids`` (whose locks ``owner`` holds) in full batches; release the locks."""
        size = context.settings.batch_size
        batches = [ids[start : start + size] for start in range(0, len(ids), size)]
        room = size - len(batches[-1])
        if room > 0:
            batches[-1] = batches[-1] + self._top_up(context, set(ids), room, owner)
        wanted = set(ids)
        outcomes: dict[str, Outcome] = {}
        try:
            client = self.new_client(context, owner)
        except Exception as error:  # settings the client cannot work with
            log.warning("cannot build an API client: %s", error)
            failure = Failure(
                reason=Reason.NOT_CONFIGURED, problem=str(error), fix=getattr(error, "fix", None)
            )
            for batch in batches:
                outcomes.update(self.failed(context, batch, wanted, owner, failure))
            return outcomes
        try:
            for batch in batches:
                outcomes.update(self.fetch_batch(context, client, batch, wanted, owner))
        finally:
            client.close()
        return outcomes

    def _top_up(self, context: FetchContext, exclude: set[str], room: int, owner: str) -> list[str]:
        """Other ids worth renewing in the same call (see ``ProductIndex.top_up``)."""
        settings = context.settings
        now = self._clock()
        candidates = self._index.top_up(
            context.ns,
            exclude=exclude,
            now=now,
            active_since=now - max(settings.cache_ttl, 86_400),
            site_since=now - keep_window(settings),
            bucket=settings.cache_ttl / 48,
            limit=room * 3,
        )
        if not candidates:
            return []
        return self.claim(context.ns, candidates, owner, limit=room).mine

    def new_client(self, context: FetchContext, owner: str) -> AliExpressClient:
        """An API client whose every attempt passes the gate under ``context``'s rules."""
        rules = context.rules
        before, after = self._gate.hooks(
            context.settings, rules.attempts, owner, limits=self.settings
        )
        hooks = ClientHooks(
            before_attempt=before,
            after_attempt=after,
            max_retries=rules.max_retries,
            clock=self._clock,
            sleep=self._sleep,
        )
        client = self._client_factory(context.settings, hooks)
        client.deadline = min(client.deadline, rules.deadline)
        return client

    def fetch_batch(
        self,
        context: FetchContext,
        client: AliExpressClient,
        batch: list[str],
        wanted: set[str],
        owner: str,
    ) -> dict[str, Outcome]:
        """One gateway call for ``batch``; store what came back (absent = not promotable)."""
        try:
            found = client.product_details(batch)
        except ApiError as error:  # CallRefused included
            failure = Failure(
                reason=reason_for(error),
                problem=error.message,
                fix=error.fix,
                until=error.until if isinstance(error, CallRefused) else None,
            )
            return self.failed(context, batch, wanted, owner, failure)
        except Exception:
            log.exception("product lookup failed unexpectedly")
            failure = Failure(reason=Reason.UNAVAILABLE)
            return self.failed(context, batch, wanted, owner, failure)

        ns, settings = context.ns, context.settings
        now = self._clock()
        factor = jitter_factor(self._rng)
        entries: dict[str, Entry] = {}
        stopped: list[tuple[str, str | None]] = []
        for pid in batch:
            product = found.get(pid)
            if product is None:
                previous = self._entries.read(ns, pid)
                if previous is not None and previous.data is not None:
                    title = previous.data.get("title")
                    stopped.append((pid, title if isinstance(title, str) else None))
            data = product.to_dict() if product is not None else None
            entries[pid] = Entry.make(data, now=now, settings=settings, factor=factor)
        self._entries.write_all(ns, entries, now)
        for pid, entry in entries.items():
            self.handoff.put(ns, pid, entry)
        self._index.fetched(ns, entries)
        if stopped:
            self._events.not_promotable(stopped, now)
            log.info("%d product(s) stopped being promotable", len(stopped))
        self.release(ns, batch, owner)
        return {pid: entries[pid] for pid in batch if pid in wanted}

    def failed(
        self,
        context: FetchContext,
        batch: list[str],
        wanted: set[str],
        owner: str,
        failure: Failure,
    ) -> dict[str, Outcome]:
        """Remember a failed fetch of the wanted ids for a minute; unlock the whole batch.

        Ids that were only topping up the batch keep their (still servable) entries.
        """
        now = self._clock()
        asked = [pid for pid in batch if pid in wanted]
        # Not retried for a minute, or until the cause ends if that is sooner (a quota that
        # resets at midnight, a ban that ends).
        until = now + self.error_memo_seconds
        if failure.until is not None and failure.until > now:
            until = min(until, failure.until)
        # Not memoised: a full limiter clears within seconds; rejected credentials are
        # already paused by the breaker (keyed by the credentials), which lets a corrected
        # App Secret or sign method work on the very next page; and limits that cannot be
        # kept are checked again in memory on each page, so the first page after the disk or
        # Redis works again shows the product instead of a fallback for another minute.
        remember = failure.reason not in NOT_REMEMBERED
        for pid in asked:
            if remember:
                self._entries.remember(context.ns, pid, failure, until=until, now=now)
            self.handoff.put(context.ns, pid, failure)
        self.release(context.ns, batch, owner)
        return dict.fromkeys(asked, failure)
