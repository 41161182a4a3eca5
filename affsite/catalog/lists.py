"""Search and hot-product lists: which products a query finds, cached like products are.

``Catalog.list_answers(queries, purpose=...)`` answers each query with a ``ListAnswer``: the
product ids the gateway ranked for it, in order, and how the answer was made. The rules are
the products' rules (``facade``), applied to one list at a time:

* fresh in the cache (``list_ttl``) -> ``HIT``;
* expired but within the stale limit -> ``STALE`` at once, and one refresh behind it
  (stale-while-revalidate); if the refresh fails, stale keeps being served until its limit
  (stale-if-error);
* not cached -> one ``product.query`` / ``hotproduct.query`` call now -> ``MISS``, or
  ``FALLBACK`` with a reason when no call can be made (quota spent, banned, breaker open,
  gateway down; the ids are then empty). A failure is remembered briefly, like a product's.

Concurrent requests for one cold list make one call (the fetch locks of ``limits``, keyed by
the list's token); the others wait a bounded time for its result. Every call passes the
shared gate (``Fetcher.new_client``). The products a call returns are stored as product
entries and recorded in the index, so drawing them costs no further call.

Who pays (``policy``): a list the site asked for itself (its pages, commands, admin actions)
within ``keep_window`` is fetched and renewed from the quota; a list only public requests (the
snippet, embeds) ask for costs one call of the public share each time it is fetched, and is
not fetched once that share is spent.
"""

from __future__ import annotations

import logging
import random
import threading
from collections.abc import Sequence
from dataclasses import dataclass

from affsite.aliexpress import ApiError, Product, ProductQuery
from affsite.cache import CacheStores
from affsite.catalog.answers import Failure, Status
from affsite.catalog.background import InlineRefresher, Refresher
from affsite.catalog.entries import Entries, Entry, jitter_factor, lock_key
from affsite.catalog.fetching import NOT_REMEMBERED, FetchContext, Fetcher, new_owner
from affsite.catalog.index import ProductIndex
from affsite.catalog.list_entries import ListEntries, ListEntry, list_token
from affsite.catalog.policy import PublicShare, Purpose, keep_window, reason_for
from affsite.catalog.public_json import Reason
from affsite.catalog.site_lists import SiteLists
from affsite.clock import Clock, Sleeper
from affsite.limits import CallRefused, FetchLocks, Gate
from affsite.lru import LRU
from affsite.settings import Settings

__all__ = ["LIST_REFUSED", "ListAnswer", "Lists"]

log = logging.getLogger(__name__)

# The site's use of a list is written at most this often per list and process.
SITE_USE_STEP = 3600.0
HANDOFF_SECONDS = 60.0
MAX_HANDOFF = 512

LIST_REFUSED = Failure(
    reason=Reason.NEW_PRODUCT_LIMIT,
    problem="Public requests asked for more new lists today than the share for new products "
    "from public requests pays for.",
    fix="Show the list on one of your own pages (it is then paid from the quota) or raise the "
    "share for new products from public requests.",
)


@dataclass(frozen=True, kw_only=True)
class ListAnswer:
    """What the catalog knows about one list: ``ids`` in the gateway's order (empty when the
    search found nothing, or when ``status`` is ``FALLBACK``: ``reason`` then says why)."""

    query: ProductQuery
    ids: tuple[str, ...] = ()
    status: Status = Status.FALLBACK
    fetched_at: float | None = None
    reason: Reason | None = None
    problem: str | None = None  # FALLBACK: what went wrong, in plain words
    fix: str | None = None  # FALLBACK: what the site owner can do about it

    @classmethod
    def found(cls, query: ProductQuery, entry: ListEntry, status: Status) -> ListAnswer:
        return cls(query=query, ids=entry.ids, status=status, fetched_at=entry.fetched_at)

    @classmethod
    def failed(cls, query: ProductQuery, failure: Failure) -> ListAnswer:
        return cls(
            query=query,
            status=Status.FALLBACK,
            reason=failure.reason,
            problem=failure.problem,
            fix=failure.fix,
        )


_Outcome = ListEntry | Failure


class _HandOff:
    """Outcomes of list fetches made in this process, for threads waiting on them (also when
    the data store is off), kept briefly with the time they were handed over."""

    def __init__(self, clock: Clock) -> None:
        self._clock = clock
        self._lock = threading.Lock()
        self._results: dict[tuple[str, str], tuple[_Outcome, float]] = {}

    def put(self, ns: str, token: str, outcome: _Outcome) -> None:
        now = self._clock()
        with self._lock:
            if len(self._results) >= MAX_HANDOFF:
                horizon = now - HANDOFF_SECONDS
                self._results = {k: v for k, v in self._results.items() if v[1] >= horizon}
                if len(self._results) >= MAX_HANDOFF:
                    self._results.clear()
            self._results[(ns, token)] = (outcome, now)

    def since(self, ns: str, token: str, moment: float) -> _Outcome | None:
        """The outcome handed over at or after ``moment``, if any."""
        with self._lock:
            handed = self._results.get((ns, token))
        return handed[0] if handed is not None and handed[1] >= moment else None

    def clear(self) -> None:
        with self._lock:
            self._results.clear()


class Lists:
    """List answers from the cache and the gateway (see the module doc). Thread-safe."""

    def __init__(
        self,
        fetcher: Fetcher,
        entries: Entries,
        index: ProductIndex,
        gate: Gate,
        stores: CacheStores,
        refresher: Refresher | None,
        clock: Clock,
        sleep: Sleeper,
        *,
        rng: random.Random | None = None,
    ) -> None:
        """The catalog's own parts: its fetcher (gateway clients behind the gate, the fetch
        locks), product entries and index, the gate (for the public share), the stores, and
        where refreshes run (None: in the caller's thread)."""
        self._fetcher = fetcher
        self._entries = entries
        self._index = index
        self._share = PublicShare(gate.new_products, index, clock, refused_now=gate.refuses_now)
        self._lists = ListEntries(stores.data, stores.ctl)
        self.site_lists = SiteLists(stores.ctl)  # what ``affsite refresh`` renews
        self._locks = FetchLocks(stores.ctl, clock)  # only to see whether a lock is held
        self._refresher = refresher or InlineRefresher()
        self._clock = clock
        self._sleep = sleep
        self._rng = rng or random.Random()  # expiry jitter, not security
        self._handoff = _HandOff(clock)
        self._marked: LRU[tuple[str, str], float] = LRU(4096)

    def clear(self) -> None:
        """Forget what this process was handed (the store itself is cleared with entries)."""
        self._handoff.clear()

    def answers(
        self, queries: Sequence[ProductQuery], purpose: Purpose, settings: Settings, ns: str
    ) -> list[ListAnswer]:
        """One answer per query, in the order asked; each distinct query answered once. Never
        raises: whatever goes wrong is a ``FALLBACK`` answer."""
        wanted = list(queries)
        context = FetchContext(settings=settings, ns=ns, purpose=purpose)
        found: dict[ProductQuery, ListAnswer] = {}
        try:
            for query in wanted:
                if query not in found:
                    found[query] = self._answer(query, context)
        except Exception:
            log.exception("lists failed; answering %d list(s) as unavailable", len(wanted))
            failure = Failure(reason=Reason.UNAVAILABLE)
            return [ListAnswer.failed(query, failure) for query in wanted]
        return [found[query] for query in wanted]

    def _answer(self, query: ProductQuery, context: FetchContext) -> ListAnswer:
        ns, token, now = context.ns, list_token(query), self._clock()
        if context.rules.for_site:
            self._mark_site_use(context, query, token, now)
        entry = self._lists.read(ns, token)
        if entry is not None and entry.servable(now):
            if entry.fresh(now):
                return ListAnswer.found(query, entry, Status.HIT)
            self._schedule(query, token, context, now)
            return ListAnswer.found(query, entry, Status.STALE)
        memo = self._entries.failure(ns, token, now)
        if memo is not None:
            return ListAnswer.failed(query, memo)
        owner = new_owner()
        if self._claim(ns, token, owner):
            return self._fetch_claimed(query, token, context, owner, pays=context.rules.public)
        return self._await(query, token, context, owner)

    def _claim(self, ns: str, token: str, owner: str) -> bool:
        """Take the list's fetch lock (the products' single-flight locks, keyed by token)."""
        return bool(self._fetcher.claim(ns, [token], owner).mine)

    # --- who pays ------------------------------------------------------------------------------

    def _mark_site_use(
        self, context: FetchContext, query: ProductQuery, token: str, now: float
    ) -> None:
        known = (context.ns, token)
        last = self._marked.get(known)
        if last is not None and 0 <= now - last < SITE_USE_STEP:
            return
        keep = keep_window(context.settings) + SITE_USE_STEP
        self._lists.mark_site_use(context.ns, token, now, keep=keep)
        self.site_lists.note(context.ns, token, query, now, keep=keep)
        self._marked.put(known, now)

    def _paid(self, context: FetchContext, token: str) -> bool:
        """True when a call for this list may be made for a caller that is not the site: it
        is one of the site's own lists, or the public share grants the call."""
        since = self._clock() - keep_window(context.settings)
        if self._lists.site_use(context.ns, token) >= since:
            return True
        return self._share.take_calls(context.settings, 1) == 1

    # --- cold lists and stale ones ---------------------------------------------------------------

    def _fetch_claimed(
        self, query: ProductQuery, token: str, context: FetchContext, owner: str, *, pays: bool
    ) -> ListAnswer:
        """Fetch the list whose lock ``owner`` holds (paid from the share when ``pays``)."""
        if pays and not self._paid(context, token):
            self._fetcher.release(context.ns, [token], owner)
            return ListAnswer.failed(query, LIST_REFUSED)
        outcome = self._fetch(query, token, context, owner)
        if isinstance(outcome, Failure):
            return ListAnswer.failed(query, outcome)
        return ListAnswer.found(query, outcome, Status.MISS)

    def _await(
        self, query: ProductQuery, token: str, context: FetchContext, owner: str
    ) -> ListAnswer:
        """Wait (bounded by time and count) for the worker fetching the list; a lock that
        disappears without a result (its holder died) is taken over once."""
        ns, key = context.ns, lock_key(context.ns, token)
        started = self._clock()
        wait, poll = context.rules.lock_wait, self._fetcher.poll_interval
        polls = int(wait / max(poll, 0.001)) + 2
        rescued = False
        for _ in range(polls):
            held = self._locks.held(key)  # lock first, result second (stored before unlock)
            settled = self._settled(query, ns, token, started)
            if settled is not None:
                return settled
            if not held and not rescued:
                rescued = True
                if self._claim(ns, token, owner):
                    return self._fetch_claimed(
                        query, token, context, owner, pays=context.rules.public
                    )
                continue
            if self._clock() >= started + wait:
                break
            self._sleep(poll)
        return ListAnswer.failed(query, Failure(reason=Reason.UNAVAILABLE))

    def _settled(
        self, query: ProductQuery, ns: str, token: str, started: float
    ) -> ListAnswer | None:
        now = self._clock()
        handed = self._handoff.since(ns, token, started)
        if isinstance(handed, Failure):
            return ListAnswer.failed(query, handed)
        if handed is not None and handed.fresh(now):
            return ListAnswer.found(query, handed, Status.MISS)
        entry = self._lists.read(ns, token)
        if entry is not None and entry.fresh(now):
            return ListAnswer.found(query, entry, Status.MISS)
        memo = self._entries.failure(ns, token, now)
        return ListAnswer.failed(query, memo) if memo is not None else None

    def _schedule(self, query: ProductQuery, token: str, context: FetchContext, now: float) -> None:
        """Renew a stale list behind its answer, unless a recent failure says not yet; under
        the settings in force when the renewal runs (``FetchContext.in_force``)."""
        if self._entries.failure(context.ns, token, now) is not None:
            return
        background = FetchContext(
            settings=context.settings, ns=context.ns, purpose=Purpose.BACKGROUND
        )
        pays = not context.rules.for_site

        def job(_tokens: list[str]) -> None:
            current = background.in_force(self._fetcher.settings)
            if current is not None:
                self.renew(query, token, current, pays=pays)

        runner = InlineRefresher() if context.rules.refresh_inline else self._refresher
        runner.submit(context.ns, [token], job)

    def renew(
        self, query: ProductQuery, token: str, context: FetchContext, *, pays: bool = False
    ) -> ListAnswer | None:
        """Fetch the list again now (``MISS``, or ``FALLBACK`` saying why), or None when
        another worker is renewing it right now."""
        owner = new_owner()
        if not self._claim(context.ns, token, owner):
            return None
        return self._fetch_claimed(query, token, context, owner, pays=pays)

    def fresh_until(self, ns: str, token: str) -> float:
        """When the cached list stops being fresh (-inf: none is cached)."""
        entry = self._lists.read(ns, token)
        return entry.fresh_until if entry is not None else float("-inf")

    # --- the gateway call -----------------------------------------------------------------------

    def _fetch(
        self, query: ProductQuery, token: str, context: FetchContext, owner: str
    ) -> _Outcome:
        """One search call for the list whose lock ``owner`` holds; stores the list and its
        products, then unlocks. A failure is remembered and leaves any stale list in place."""
        ns = context.ns
        try:
            try:
                client = self._fetcher.new_client(context, owner)
            except Exception as error:  # settings the client cannot work with
                log.warning("cannot build an API client: %s", error)
                failure = Failure(
                    reason=Reason.NOT_CONFIGURED,
                    problem=str(error),
                    fix=getattr(error, "fix", None),
                )
                return self._failed(ns, token, failure)
            try:
                products = client.search(query).products
            except ApiError as error:  # CallRefused included: no call was made
                failure = Failure(
                    reason=reason_for(error),
                    problem=error.message,
                    fix=error.fix,
                    until=error.until if isinstance(error, CallRefused) else None,
                )
                return self._failed(ns, token, failure)
            except Exception:
                log.exception("list search failed unexpectedly")
                return self._failed(ns, token, Failure(reason=Reason.UNAVAILABLE))
            finally:
                client.close()
            now = self._clock()
            ids = self._store_products(context, products[: query.page_size], now)
            entry = ListEntry.make(ids, now=now, settings=context.settings)
            self._lists.write(ns, token, entry, now)
            self._handoff.put(ns, token, entry)
            return entry
        finally:
            self._fetcher.release(ns, [token], owner)

    def _store_products(
        self, context: FetchContext, products: Sequence[Product], now: float
    ) -> tuple[str, ...]:
        """Store the products a search returned as product entries (so drawing them costs no
        call) and record them in the index; their ids, in order, each once."""
        ns, settings = context.ns, context.settings
        factor = jitter_factor(self._rng)
        stored: dict[str, Entry] = {}
        for product in products:
            if product.id in stored:
                continue
            entry = Entry.make(product.to_dict(), now=now, settings=settings, factor=factor)
            self._entries.write(ns, product.id, entry, now)
            self._fetcher.handoff.put(ns, product.id, entry)
            stored[product.id] = entry
        self._index.fetched(ns, stored)
        return tuple(stored)

    def _failed(self, ns: str, token: str, failure: Failure) -> Failure:
        """Remember a failed list fetch for a while (as ``Fetcher.failed`` does for ids)."""
        now = self._clock()
        until = now + self._fetcher.error_memo_seconds
        if failure.until is not None and failure.until > now:
            until = min(until, failure.until)
        if failure.reason not in NOT_REMEMBERED:
            self._entries.remember(ns, token, failure, until=until, now=now)
        self._handoff.put(ns, token, failure)
        return failure
