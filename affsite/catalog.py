"""The one door to product data for every view, template tag, embed and command.

``Catalog.products(ids)`` answers every id, in the order asked, and never raises:

* fresh in the cache -> ``HIT`` (or ``NEGATIVE``: known not promotable);
* expired but within the stale limit -> ``STALE`` at once, and one refresh runs in the
  background (stale-while-revalidate); if that refresh fails, stale keeps being served until
  its limit (stale-if-error);
* not cached (or past the stale limit) -> fetched now -> ``MISS``; if that is impossible
  (gateway down, banned, quota spent, ...) -> ``FALLBACK`` with a reason word.

Fetching is batched and shared: only ids that need it are fetched, ``batch_size`` per call,
and a partial batch is topped up with other cached ids closest to expiry (most viewed first),
so every call carries a full batch. Concurrent requests in any thread or worker process
coalesce on per-id locks in the control store: one fetches, the others wait a bounded time for
its result. Every attempt passes the shared ``Gate`` (ban, breaker, speed limit, quota). After a
failure, the ids concerned are not retried for ``error_memo_seconds``.

Reason words: ``not_promotable``, ``invalid_id``, ``quota_exhausted``, ``banned``,
``gateway_down``, ``rate_limited``, ``credentials_rejected``, ``not_configured``,
``unavailable``.

Purposes: ``view`` (pages, embeds, the JSON API; may not touch the admin reserve, waits little),
``cli`` and ``refresh`` (commands; wait longer), ``admin`` (admin actions; may use the reserve).
They, and the reason a failed fetch is given, are defined in ``affsite.catalog_policy``.
"""

from __future__ import annotations

import logging
import math
import os
import random
import threading
import uuid
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from affsite.aliexpress.client import AliExpressClient
from affsite.aliexpress.errors import ApiError
from affsite.aliexpress.models import Product, global_id
from affsite.background import InlineRefresher, Refresher, ThreadRefresher
from affsite.cache import CacheStores, open_stores
from affsite.catalog_policy import (
    NEW_PRODUCT_REFUSED,
    PURPOSES,
    ClientFactory,
    ClientHooks,
    Failure,
    Outcome,
    Purpose,
    gateway_client_factory,
    new_product_limit,
    reason_for,
)
from affsite.catalog_stats import CatalogStats, Counters, EventLog
from affsite.clock import Clock, Sleeper, system_clock, system_sleep
from affsite.errors import AffsiteError
from affsite.freshness import Entry, entry_key, jitter_factor, lock_key, memo_key, namespace
from affsite.limits.breaker import credentials_fingerprint
from affsite.limits.gate import Gate
from affsite.limits.locks import FetchLocks
from affsite.limits.quota import QuotaStatus
from affsite.limits.refusals import CallRefused
from affsite.lru import LRU
from affsite.product_answer import (
    BANNED,
    CREDENTIALS_REJECTED,
    FALLBACK,
    GATEWAY_DOWN,
    HIT,
    INVALID_ID,
    MISS,
    NEGATIVE,
    NOT_CONFIGURED,
    NOT_PROMOTABLE,
    RATE_LIMITED,
    STALE,
    STATUS_SEVERITY,
    UNAVAILABLE,
    ProductAnswer,
    aggregate_status,
)
from affsite.product_index import ProductIndex
from affsite.settings import Settings, SettingsProvider

if TYPE_CHECKING:
    from flask import Flask

    from affsite.gateway import CheckResult
    from affsite.shortlinks import ShortLinkFollower

__all__ = [
    "EXTENSION_KEY",
    "FALLBACK",
    "HIT",
    "MISS",
    "NEGATIVE",
    "PURPOSES",
    "STALE",
    "STATUS_SEVERITY",
    "Catalog",
    "CatalogStats",
    "ClientFactory",
    "ClientHooks",
    "ProductAnswer",
    "RefreshReport",
    "aggregate_status",
    "get_catalog",
    "init_app",
]

log = logging.getLogger(__name__)

EXTENSION_KEY = "affsite.catalog"
DECODED_PRODUCTS = 4096  # decoded products kept per process (a few MB at most)


@dataclass(frozen=True)
class _Context:
    settings: Settings
    ns: str
    purpose: Purpose


@dataclass
class RefreshReport:
    """What ``Catalog.refresh`` did."""

    due: int = 0
    calls: int = 0
    refreshed: int = 0
    not_promotable: int = 0
    failed: int = 0
    stopped: str | None = None  # reason word when a shared limit ended the run early
    ids: list[str] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return {
            "due": self.due,
            "calls": self.calls,
            "refreshed": self.refreshed,
            "not_promotable": self.not_promotable,
            "failed": self.failed,
            "stopped": self.stopped,
        }


class Catalog:
    """Product answers from the cache and the gateway. Thread-safe; one per process.

    Every dependency is explicit so tests and benchmarks run it without Flask: ``settings``
    is called for every request (a settings save takes effect at once), ``stores`` are the
    opened cache stores, ``client_factory`` builds an API client wired to the given hooks.
    """

    def __init__(
        self,
        *,
        settings: SettingsProvider,
        stores: CacheStores,
        client_factory: ClientFactory = gateway_client_factory,
        clock: Clock = system_clock,
        sleep: Sleeper = system_sleep,
        refresher: Refresher | None = None,
        rng: random.Random | None = None,
        breaker_threshold: int = 5,
        breaker_reset: float = 60.0,
        error_memo_seconds: float = 60.0,
        lock_ttl: float = 90.0,
        poll_interval: float = 0.05,
        flush_interval: float = 30.0,
    ) -> None:
        self._settings = settings
        self.stores = stores
        self._data = stores.data
        self._ctl = stores.ctl
        self._client_factory = client_factory
        self._clock = clock
        self._sleep = sleep
        self._refresher: Refresher = refresher or InlineRefresher()
        self._rng = rng or random.Random()  # noqa: S311 - expiry jitter, not security
        self._events = EventLog(self._ctl)
        self._counters = Counters(self._ctl)
        self._gate = Gate(
            self._ctl,
            clock,
            sleep,
            events=self._events,
            breaker_threshold=breaker_threshold,
            breaker_reset=breaker_reset,
        )
        self._locks = FetchLocks(self._ctl, clock, ttl=lock_ttl)
        self._index = ProductIndex(self._ctl, clock, flush_interval=flush_interval)
        self.error_memo_seconds = error_memo_seconds
        self.poll_interval = poll_interval
        self._flush_interval = flush_interval
        self._last_flush = clock()
        # Results of fetches made in this process, for waiters in other threads (also when
        # the data store is off), kept briefly.
        self._handoff: dict[tuple[str, str], tuple[Outcome, float]] = {}
        self._handoff_lock = threading.Lock()
        self._decoded: LRU[tuple[str, str], tuple[float, Product]] = LRU(DECODED_PRODUCTS)

    @classmethod
    def open(cls, instance_path: Path | str, **kwargs: Any) -> Catalog:
        """A catalog whose cache lives in ``<instance_path>/cache``."""
        return cls(stores=open_stores(Path(instance_path) / "cache"), **kwargs)

    def settings(self) -> Settings:
        """The settings in force now."""
        return self._settings()

    @property
    def gate(self) -> Gate:
        return self._gate

    @property
    def index(self) -> ProductIndex:
        return self._index

    def close(self) -> None:
        self._refresher.close()
        self.flush()
        self.stores.close()

    # --- answering ---------------------------------------------------------------------------

    def products(
        self, ids: Sequence[str], *, purpose: str = "view", anonymous: bool = False
    ) -> list[ProductAnswer]:
        """One answer per id, in the order asked (duplicates answered alike). Never raises:
        whatever goes wrong becomes a ``FALLBACK`` answer with a reason word.

        ``anonymous``: the ids come from a public request anyone can make (the JSON API,
        embeds), not from the site's own pages. Ids that are neither cached nor featured are
        then fetched only within the daily new-product allowance (``new_product_share``);
        beyond it they are answered ``new_product_limit`` and not remembered.
        """
        wanted = list(ids)
        try:
            return self._products(wanted, PURPOSES.get(purpose, PURPOSES["view"]), anonymous)
        except Exception:
            log.exception("catalog failed; answering %d id(s) with fallbacks", len(wanted))
            return [
                ProductAnswer(global_id(raw) or str(raw)[:64], None, FALLBACK, UNAVAILABLE)
                for raw in wanted
            ]

    def product(
        self, product_id: str, *, purpose: str = "view", anonymous: bool = False
    ) -> ProductAnswer:
        return self.products([product_id], purpose=purpose, anonymous=anonymous)[0]

    def _products(
        self, raw_ids: list[str], purpose: Purpose, anonymous: bool
    ) -> list[ProductAnswer]:
        settings = self._settings()
        ns = namespace(settings)
        now = self._clock()
        normalized = [global_id(raw) for raw in raw_ids]
        unique = list(dict.fromkeys(pid for pid in normalized if pid))

        answers: dict[str, ProductAnswer] = {}
        stale: list[str] = []
        cold: list[str] = []
        never_cached: set[str] = set()
        for pid in unique:
            cached = self._read(ns, pid)
            fresh = cached is not None and cached.fresh(now)
            answer = None
            if cached is not None and cached.servable(now):
                answer = self._answer(ns, pid, cached, HIT if fresh else STALE)
            if answer is None:  # missing, past its stale limit, or unreadable
                cold.append(pid)
                if cached is None:
                    never_cached.add(pid)
                continue
            answers[pid] = answer
            if not fresh:  # served stale (or known-negative): renew it behind this answer
                stale.append(pid)

        to_fetch = []
        for pid in cold:
            memo = self._memo(ns, pid, now)
            if memo is not None:
                answers[pid] = memo.answer(pid)
            else:
                to_fetch.append(pid)
        refused: set[str] = set()
        if anonymous and to_fetch:
            unknown = [
                pid
                for pid in to_fetch
                if pid in never_cached and pid not in settings.featured_products
            ]
            refused = self._beyond_new_product_allowance(settings, unknown)
            for pid in refused:
                answers[pid] = NEW_PRODUCT_REFUSED.answer(pid)
            to_fetch = [pid for pid in to_fetch if pid not in refused]
        if to_fetch:
            outcomes = self._fetch_cold(_Context(settings, ns, purpose), to_fetch)
            for pid in to_fetch:
                outcome = outcomes.get(pid, Failure(UNAVAILABLE))
                if isinstance(outcome, Entry):
                    answer = self._answer(ns, pid, outcome, MISS)
                    answers[pid] = answer or Failure(UNAVAILABLE).answer(pid)
                else:
                    answers[pid] = outcome.answer(pid)

        # Ids refused above are not counted as views: they are not products the site shows,
        # and must not become top-up candidates or crowd its products out of the index.
        self._index.viewed(ns, [pid for pid in unique if pid not in refused])
        self._counters.add(Counter(answer.status for answer in answers.values()))
        if stale:
            self._schedule_refresh(settings, ns, stale, purpose)
        self._maybe_flush()

        result = []
        for raw, known in zip(raw_ids, normalized, strict=True):
            if known is None:
                result.append(ProductAnswer(str(raw)[:64], None, FALLBACK, INVALID_ID))
            else:
                result.append(answers[known])
        return result

    def _beyond_new_product_allowance(self, settings: Settings, unknown: list[str]) -> set[str]:
        """The ids of ``unknown`` that today's new-product allowance cannot pay for."""
        if not unknown:
            return set()
        batch = max(1, settings.batch_size)
        limit = new_product_limit(settings)
        granted = self._gate.new_products.take(math.ceil(len(unknown) / batch), limit)
        return set(unknown[granted * batch :])

    def _answer(self, ns: str, pid: str, entry: Entry, status: str) -> ProductAnswer | None:
        """The answer an entry gives; None when its product data cannot be read.

        Decoded products are remembered per process by (id, fetched_at): decoding re-checks
        every URL of the product and costs several times more than reading the entry.
        """
        if entry.data is None:
            return ProductAnswer(pid, None, NEGATIVE, NOT_PROMOTABLE, entry.fetched_at)
        key = (ns, pid)
        known = self._decoded.get(key)
        if known is not None and known[0] == entry.fetched_at:
            product = known[1]
        else:
            try:
                product = Product.from_dict(entry.data)
            except (TypeError, ValueError):
                return None
            self._decoded.put(key, (entry.fetched_at, product))
        return ProductAnswer(pid, product, status, None, entry.fetched_at)

    def _read(self, ns: str, pid: str) -> Entry | None:
        return Entry.from_dict(self._data.get(entry_key(ns, pid)))

    def _memo(self, ns: str, pid: str, now: float) -> Failure | None:
        """A failed fetch of ``pid`` less than ``error_memo_seconds`` ago, if any."""
        memo = self._ctl.get(memo_key(ns, pid))
        if (
            isinstance(memo, dict)
            and isinstance(memo.get("until"), int | float)
            and memo["until"] > now
            and isinstance(memo.get("reason"), str)
        ):
            problem, fix = memo.get("problem"), memo.get("fix")
            return Failure(
                str(memo["reason"]),
                problem if isinstance(problem, str) else None,
                fix if isinstance(fix, str) else None,
            )
        return None

    # --- refreshing stale entries ------------------------------------------------------------

    def _schedule_refresh(
        self, settings: Settings, ns: str, stale: list[str], purpose: Purpose
    ) -> None:
        now = self._clock()
        due = [pid for pid in stale if self._memo(ns, pid, now) is None]
        if not due:
            return
        context = _Context(settings, ns, PURPOSES["background"])

        def job(ids: list[str]) -> None:
            self._refresh_ids(context, ids)

        if purpose.refresh_inline:
            InlineRefresher().submit(ns, due, job)
        else:
            self._refresher.submit(ns, due, job)

    def _refresh_ids(self, context: _Context, ids: list[str]) -> None:
        owner = _new_owner()
        keys = [lock_key(context.ns, pid) for pid in ids]
        taken = set(self._locks.acquire(keys, owner))
        mine = [pid for pid, key in zip(ids, keys, strict=True) if key in taken]
        if mine:  # ids locked by someone else are being refreshed already
            self._fetch_owned(context, mine, owner)

    # --- fetching ----------------------------------------------------------------------------

    def _fetch_cold(self, context: _Context, ids: list[str]) -> dict[str, Outcome]:
        owner = _new_owner()
        keys = {lock_key(context.ns, pid): pid for pid in ids}
        taken = set(self._locks.acquire(list(keys), owner))
        mine = [pid for key, pid in keys.items() if key in taken]
        others = [pid for key, pid in keys.items() if key not in taken]
        outcomes: dict[str, Outcome] = {}
        if mine:
            outcomes.update(self._fetch_owned(context, mine, owner))
        if others:
            outcomes.update(self._await_others(context, others, owner))
        return outcomes

    def _await_others(self, context: _Context, ids: list[str], owner: str) -> dict[str, Outcome]:
        """Wait (bounded by time and by count) for the workers fetching ``ids``.

        A lock that disappears without an answer (its holder died or could not store the
        result) is taken over once.
        """
        deadline = self._clock() + context.purpose.lock_wait
        polls = int(context.purpose.lock_wait / max(self.poll_interval, 0.001)) + 2
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
                taken_over = self._fetch_cold_without_waiting(context, orphans, owner)
                outcomes.update(taken_over)
                pending = [pid for pid in pending if pid not in taken_over]
                continue
            if self._clock() >= deadline:
                break
            self._sleep(self.poll_interval)
        for pid in pending:
            outcomes[pid] = Failure(UNAVAILABLE)
        return outcomes

    def _fetch_cold_without_waiting(
        self, context: _Context, ids: list[str], owner: str
    ) -> dict[str, Outcome]:
        keys = {lock_key(context.ns, pid): pid for pid in ids}
        taken = set(self._locks.acquire(list(keys), owner))
        mine = [pid for key, pid in keys.items() if key in taken]
        return self._fetch_owned(context, mine, owner) if mine else {}

    def _settled(self, ns: str, pid: str) -> Outcome | None:
        """A result another worker produced for ``pid`` since we started waiting, if any."""
        now = self._clock()
        with self._handoff_lock:
            handed = self._handoff.get((ns, pid))
        if handed is not None:
            outcome, _ = handed
            if isinstance(outcome, Failure) or outcome.fresh(now):
                return outcome
        entry = self._read(ns, pid)
        if entry is not None and entry.fresh(now):
            return entry
        return self._memo(ns, pid, now)

    def _fetch_owned(self, context: _Context, ids: list[str], owner: str) -> dict[str, Outcome]:
        """Fetch ``ids`` (whose locks ``owner`` holds) in full batches; release the locks."""
        size = context.settings.batch_size
        batches = [ids[start : start + size] for start in range(0, len(ids), size)]
        room = size - len(batches[-1])
        if room > 0:
            batches[-1] = batches[-1] + self._top_up(context, set(ids), room, owner)
        wanted = set(ids)
        try:
            client = self._new_client(context, owner)
        except Exception as error:  # settings the client cannot work with
            log.warning("cannot build an API client: %s", error)
            failure = Failure(NOT_CONFIGURED, str(error), getattr(error, "fix", None))
            outcomes: dict[str, Outcome] = {}
            for batch in batches:
                outcomes.update(self._failed(context, batch, wanted, owner, failure))
            return outcomes
        outcomes = {}
        try:
            for batch in batches:
                outcomes.update(self._fetch_batch(context, client, batch, wanted, owner))
        finally:
            client.close()
        return outcomes

    def _top_up(self, context: _Context, exclude: set[str], room: int, owner: str) -> list[str]:
        """Other ids worth renewing in the same call: closest to expiry, most viewed first."""
        settings = context.settings
        now = self._clock()
        candidates = self._index.top_up(
            context.ns,
            exclude=exclude,
            now=now,
            active_since=now - max(settings.cache_ttl, 86_400),
            bucket=settings.cache_ttl / 48,
            limit=room * 3,
        )
        if not candidates:
            return []
        keys = [lock_key(context.ns, pid) for pid in candidates]
        taken = set(self._locks.acquire(keys, owner, limit=room))
        return [pid for pid, key in zip(candidates, keys, strict=True) if key in taken]

    def _new_client(self, context: _Context, owner: str) -> AliExpressClient:
        before, after = self._gate.hooks(context.settings, context.purpose.policy, owner)
        hooks = ClientHooks(before, after, context.purpose.max_retries, self._clock, self._sleep)
        client = self._client_factory(context.settings, hooks)
        client.deadline = min(client.deadline, context.purpose.deadline)
        return client

    def _fetch_batch(
        self,
        context: _Context,
        client: AliExpressClient,
        batch: list[str],
        wanted: set[str],
        owner: str,
    ) -> dict[str, Outcome]:
        """One gateway call for ``batch``; store what came back (absent = not promotable)."""
        try:
            found = client.product_details(batch)
        except ApiError as error:  # CallRefused included
            until = error.until if isinstance(error, CallRefused) else None
            failure = Failure(reason_for(error), error.message, error.fix, until)
            return self._failed(context, batch, wanted, owner, failure)
        except Exception:
            log.exception("product lookup failed unexpectedly")
            return self._failed(context, batch, wanted, owner, Failure(UNAVAILABLE))

        ns, settings = context.ns, context.settings
        now = self._clock()
        factor = jitter_factor(self._rng)
        entries: dict[str, Entry] = {}
        stopped: list[tuple[str, str | None]] = []
        for pid in batch:
            product = found.get(pid)
            if product is None:
                previous = self._read(ns, pid)
                if previous is not None and previous.data is not None:
                    title = previous.data.get("title")
                    stopped.append((pid, title if isinstance(title, str) else None))
            data = product.to_dict() if product is not None else None
            entries[pid] = Entry.make(data, now=now, settings=settings, factor=factor)
        for pid, entry in entries.items():
            self._data.set(entry_key(ns, pid), entry.to_dict(), expire=entry.store_expire(now))
            self._hand_off(ns, pid, entry)
        self._index.fetched(ns, entries)
        if stopped:
            self._events.not_promotable(stopped, now)
            log.info("%d product(s) stopped being promotable", len(stopped))
        self._locks.release([lock_key(ns, pid) for pid in batch], owner)
        return {pid: entries[pid] for pid in batch if pid in wanted}

    def _failed(
        self,
        context: _Context,
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
        memo = {
            "reason": failure.reason,
            "problem": failure.problem,
            "fix": failure.fix,
            "until": until,
        }
        # Not memoised: a full limiter clears within seconds, and rejected credentials are
        # already paused by the breaker (keyed by the credentials), which lets a corrected
        # App Secret or sign method work on the very next page.
        remember = failure.reason not in (RATE_LIMITED, CREDENTIALS_REJECTED)
        for pid in asked:
            if remember:
                self._ctl.set(memo_key(context.ns, pid), memo, expire=self.error_memo_seconds + 60)
            self._hand_off(context.ns, pid, failure)
        self._locks.release([lock_key(context.ns, pid) for pid in batch], owner)
        return dict.fromkeys(asked, failure)

    def _hand_off(self, ns: str, pid: str, outcome: Outcome) -> None:
        now = self._clock()
        with self._handoff_lock:
            if len(self._handoff) > 2_000:
                horizon = now - 60
                self._handoff = {k: v for k, v in self._handoff.items() if v[1] >= horizon}
                if len(self._handoff) > 2_000:
                    self._handoff.clear()
            self._handoff[(ns, pid)] = (outcome, now)

    # --- bookkeeping -------------------------------------------------------------------------

    def _maybe_flush(self) -> None:
        now = self._clock()
        if now - self._last_flush >= self._flush_interval:
            self.flush()

    def flush(self) -> None:
        """Write buffered view counts and answer counters to the control store."""
        self._last_flush = self._clock()
        self._index.flush(force=True)
        self._counters.flush()

    # --- for admin pages and commands --------------------------------------------------------

    def client(self, purpose: str = "admin") -> AliExpressClient:
        """An API client behind the shared limits, e.g. for "Test connection" (close it)."""
        settings = self._settings()
        context = _Context(settings, namespace(settings), PURPOSES.get(purpose, PURPOSES["admin"]))
        return self._new_client(context, _new_owner())

    def check_connection(self) -> CheckResult:
        """One cheap gateway call with the settings in force, for the settings page's "Test
        connection" button and ``affsite check``. It is paid from the admin reserve of the
        daily quota, so it works even when page views have spent the rest.
        """
        from affsite.gateway import CheckResult, check_connection

        try:
            client = self.client("admin")
        except AffsiteError as error:
            return CheckResult(ok=False, message=error.message, fix=error.fix)
        with client:
            return check_connection(client)

    def demo_image(self, name: str) -> tuple[bytes, str] | None:
        """Bytes and content type of a product image of the built-in sandbox, or None.

        Only in demo mode: the sandbox's answers point at these images, which the site then
        serves itself so demo boxes render with no internet. Live products' images come from
        AliExpress.
        """
        if not self._settings().demo_mode:
            return None
        from affsite.gateway import demo_sandbox

        return demo_sandbox().media(name)

    def short_link_follower(self) -> ShortLinkFollower:
        """A short-link follower whose answers are kept in this cache (30 days; failures
        briefly), so every worker asks the network once per short link. Close it after use.
        """
        from affsite.shortlinks import ShortLinkFollower

        return ShortLinkFollower(cache=self.stores.data)

    def quota(self) -> QuotaStatus:
        settings = self._settings()
        return self._gate.quota.status(settings.daily_quota, settings.admin_reserve)

    def stats(self) -> CatalogStats:
        settings = self._settings()
        ns = namespace(settings)
        self.flush()
        health = self.stores.health
        ban = self._gate.ban.active()
        ban_until = ban.get("until") if ban else None
        return CatalogStats(
            counters=self._counters.totals(),
            entries=self._data.count(),
            volume_bytes=self._data.volume(),
            indexed_products=len(self._index.rows(ns)),
            namespace=ns,
            quota=self._gate.quota.status(settings.daily_quota, settings.admin_reserve),
            breaker=self._gate.breaker.status(credentials_fingerprint(settings)),
            ban_until=float(ban_until) if isinstance(ban_until, int | float) else None,
            cache_state="degraded" if health.degraded or health.write_errors else "ok",
            cache_summary=health.summary(),
            cache_modes=dict(health.modes),
            recent_errors=self._events.errors(),
            stopped_promotable=self._events.stopped_promotable(),
            new_products_used=self._gate.new_products.used(),
            new_products_limit=new_product_limit(settings),
        )

    def clear(self) -> int:
        """Forget every cached product (quota, limits and statistics are kept)."""
        settings = self._settings()
        removed = self._data.clear()
        self._index.clear(namespace(settings))
        with self._handoff_lock:
            self._handoff.clear()
        return removed

    def due_for_refresh(self, horizon: float | None = None) -> list[str]:
        """Ids whose entries expire within ``horizon`` seconds (default: a quarter of the
        cache lifetime) or already did, and that pages showed while their entry could still
        be served; soonest first, most viewed first among equals.
        """
        settings = self._settings()
        now = self._clock()
        ahead = settings.cache_ttl / 4 if horizon is None else horizon
        return self._index.due(
            namespace(settings),
            before=now + ahead,
            active_since=now - max(settings.cache_ttl + settings.stale_ttl, 86_400),
            bucket=settings.cache_ttl / 48,
        )

    def refresh(
        self,
        budget: int,
        *,
        horizon: float | None = None,
        progress: Callable[[int], None] | None = None,
    ) -> RefreshReport:
        """Renew the entries expiring soonest with at most ``budget`` gateway calls.

        ``progress`` is called with the number of ids handled after each call. Stops early
        when a shared limit (quota, ban, breaker, credentials) refuses.
        """
        settings = self._settings()
        context = _Context(settings, namespace(settings), PURPOSES["refresh"])
        size = settings.batch_size
        due = self.due_for_refresh(horizon)
        report = RefreshReport(due=len(due))
        owner = _new_owner()
        queue = list(due)
        try:
            client = self._new_client(context, owner)
        except Exception as error:
            log.warning("cannot build an API client: %s", error)
            report.stopped = NOT_CONFIGURED
            return report
        try:
            while queue and report.calls < budget:
                candidates, queue = queue[:size], queue[size:]
                keys = [lock_key(context.ns, pid) for pid in candidates]
                taken = set(self._locks.acquire(keys, owner))
                # Ids locked by another worker are being renewed right now: skip them.
                batch = [pid for pid, key in zip(candidates, keys, strict=True) if key in taken]
                if not batch:
                    continue
                outcomes = self._fetch_batch(context, client, batch, set(batch), owner)
                report.calls += 1
                report.ids.extend(batch)
                for outcome in outcomes.values():
                    if isinstance(outcome, Failure):
                        report.failed += 1
                        report.stopped = outcome.reason
                    elif outcome.negative:
                        report.not_promotable += 1
                    else:
                        report.refreshed += 1
                if progress is not None:
                    progress(len(batch))
                if report.stopped in (
                    "quota_exhausted",
                    BANNED,
                    GATEWAY_DOWN,
                    CREDENTIALS_REJECTED,
                ):
                    break
        finally:
            client.close()
        return report


def _new_owner() -> str:
    return f"{os.getpid()}-{threading.get_ident()}-{uuid.uuid4().hex[:12]}"


# --- Flask glue ------------------------------------------------------------------------------


def init_app(app: Flask, catalog: Catalog | None = None) -> None:
    """Build the app's catalog (or install ``catalog``) in ``app.extensions``.

    Settings come from the app's settings store, read per request; the cache lives in
    ``<instance>/cache`` (config ``CACHE_DIR``, env ``AFFSITE_CACHE_DIR``, overrides); time
    comes from config ``CLOCK`` when set; stale entries are refreshed in a background thread
    (config ``REFRESH_INLINE`` true: right away, in the request that found them).
    """
    if catalog is None:
        from affsite.settings import EXTENSION_KEY as SETTINGS_KEY
        from affsite.settings import SettingsStore

        store = app.extensions.get(SETTINGS_KEY)
        if not isinstance(store, SettingsStore):
            store = SettingsStore(app.instance_path)
        directory = Path(app.config.get("CACHE_DIR") or Path(app.instance_path) / "cache")
        clock: Clock = app.config.get("CLOCK") or system_clock
        sleep: Sleeper = getattr(clock, "sleep", system_sleep)
        inline = bool(app.config.get("REFRESH_INLINE"))
        catalog = Catalog(
            settings=store.load,
            stores=open_stores(directory),
            clock=clock,
            sleep=sleep,
            refresher=InlineRefresher() if inline else ThreadRefresher(),
        )
    app.extensions[EXTENSION_KEY] = catalog


def get_catalog() -> Catalog:
    """The current app's catalog (inside an app or request context)."""
    from flask import current_app

    catalog: Catalog = current_app.extensions[EXTENSION_KEY]
    return catalog
