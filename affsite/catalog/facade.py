"""The one door to product data for every view, template tag, embed and command.

``Catalog.products(ids, purpose=...)`` answers every id, in the order asked, and never raises:

* fresh in the cache -> ``HIT`` (or ``NEGATIVE``: known not promotable);
* expired but within the stale limit -> ``STALE`` at once, and one refresh runs behind it
  (``refresh``);
* not cached (or past the stale limit) -> fetched now (``fetching``) -> ``MISS``; if that is
  impossible (gateway down, banned, quota spent, ...) -> ``FALLBACK`` with a ``Reason``.

The ``Purpose`` says who asks, and with it how long the answer may take and who pays for the
gateway calls (``policy``).

A warm answer costs no store read: each process remembers the entries it read while no process
has written or cleared entries since (``warm``; ``replay``); freshness is decided by the clock.
"""

from __future__ import annotations

import logging
import math
import random
from collections.abc import Callable, Sequence

from affsite.aliexpress import AliExpressClient, ProductQuery, global_id
from affsite.cache import CacheStores, Store
from affsite.catalog.answers import Failure, ProductAnswer, Status, fallback
from affsite.catalog.background import InlineRefresher, Refresher
from affsite.catalog.clicks import Clicks
from affsite.catalog.connection import (
    CheckResult,
    ClientFactory,
    check_connection,
    demo_sandbox,
    gateway_client_factory,
)
from affsite.catalog.entries import Entries, Entry, namespace
from affsite.catalog.fetching import FetchContext, Fetcher, new_owner
from affsite.catalog.generations import entries_generation
from affsite.catalog.index import ProductIndex, open_product_index
from affsite.catalog.lists import ListAnswer, Lists
from affsite.catalog.policy import NEW_PRODUCT_REFUSED, PublicShare, Purpose, new_product_limit
from affsite.catalog.public_json import Reason
from affsite.catalog.refresh import RefreshReport, Renewals
from affsite.catalog.stats import CatalogStats, Counters, EventLog
from affsite.catalog.warm import WarmAnswers, WarmTicket
from affsite.clock import Clock, Sleeper, system_clock, system_sleep
from affsite.errors import AffsiteError
from affsite.limits import FetchLocks, Gate, QuotaStatus, credentials_fingerprint
from affsite.product_ids import ShortLinkFollower
from affsite.settings import Settings, SettingsProvider

log = logging.getLogger(__name__)

FollowerFactory = Callable[[Store], ShortLinkFollower]
"""Builds the short-link follower the catalog hands out, given the cache to keep answers in."""


def safe_follower(cache: Store) -> ShortLinkFollower:
    """The production short-link follower, remembering its answers in ``cache``."""
    return ShortLinkFollower(cache=cache)


class Catalog:
    """Product answers from the cache and the gateway. Thread-safe; one per process.

    Every dependency is explicit so tests and benchmarks run it without Flask: ``settings``
    is called for every request (a settings save takes effect at once), ``stores`` are the
    opened cache stores, ``client_factory`` builds an API client wired to the given hooks,
    ``short_links`` builds the short-link follower for admin actions and commands.
    """

    def __init__(
        self,
        *,
        settings: SettingsProvider,
        stores: CacheStores,
        client_factory: ClientFactory = gateway_client_factory,
        short_links: FollowerFactory = safe_follower,
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
        self._short_links = short_links
        self._clock = clock
        self._events = EventLog(stores.ctl)
        self._counters = Counters(stores.ctl)
        self._gate = Gate(
            stores.ctl,
            clock,
            sleep,
            events=self._events,
            breaker_threshold=breaker_threshold,
            breaker_reset=breaker_reset,
        )
        self._entries = Entries(stores.data, stores.ctl, entries_generation(stores))
        self.clicks = Clicks(  # clicks on boxes (/go/<id>)
            stores=stores,
            entries=self._entries,
            settings=settings,
            client=lambda: self.client(Purpose.PUBLIC),
            clock=clock,
            flush=self.flush,
            flush_interval=flush_interval,
            lock_ttl=lock_ttl,
        )
        self._index = open_product_index(
            stores, clock, flush_interval=flush_interval, on_flush=self.clicks.log.viewed
        )
        self._fetcher = Fetcher(
            settings=settings,
            entries=self._entries,
            index=self._index,
            locks=FetchLocks(stores.ctl, clock, ttl=lock_ttl),
            gate=self._gate,
            share=PublicShare(
                self._gate.new_products,
                self._index,
                clock,
                refused_now=self._gate.refuses_now,
            ),
            events=self._events,
            client_factory=client_factory,
            clock=clock,
            sleep=sleep,
            rng=rng or random.Random(),  # expiry jitter, not security
            error_memo_seconds=error_memo_seconds,
            poll_interval=poll_interval,
        )
        # Search and hot-product lists, under the same rules and limits as products.
        self._lists = Lists(
            self._fetcher, self._entries, self._index, self._gate, stores, refresher, clock, sleep
        )
        self._renewals = Renewals(
            fetcher=self._fetcher,
            entries=self._entries,
            index=self._index,
            refresher=refresher or InlineRefresher(),
            clock=clock,
            lists=self._lists,
        )
        self._flush_interval = flush_interval
        self._last_flush = clock()
        self._closed = False
        self._warm = WarmAnswers(self._entries)

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
        """Let queued refreshes finish (bounded), write what is buffered, close the stores."""
        if self._closed:
            return
        self._renewals.close()
        self.flush()
        self._closed = True
        self._index.close()
        self.stores.close()

    def flush(self) -> None:
        """Write buffered view counts, clicks and answer counters to the control store."""
        if self._closed:
            return
        self._last_flush = self._clock()
        self._index.flush(force=True)
        self.clicks.log.flush()
        self._counters.flush()

    # --- answering ---------------------------------------------------------------------------

    def products(
        self, ids: Sequence[str], *, purpose: Purpose, settings: Settings | None = None
    ) -> list[ProductAnswer]:
        """One answer per id, in the order asked (duplicates answered alike). Never raises
        for anything but an unknown ``purpose``: whatever goes wrong becomes a ``FALLBACK``
        answer with a reason.

        ``settings``: what ``self.settings()`` returned earlier for the same request, when the
        caller draws the answers with them: both then use the same settings, read once. None
        reads them now.
        """
        return self.products_with_ticket(ids, purpose=purpose, settings=settings)[0]

    def products_with_ticket(
        self, ids: Sequence[str], *, purpose: Purpose, settings: Settings | None = None
    ) -> tuple[list[ProductAnswer], WarmTicket | None]:
        """``products``, and a ticket for ``replay`` when every answer came from this
        process's memory (None otherwise: something was stale, missing or fetched)."""
        asking = Purpose(purpose)
        wanted = list(ids)
        try:
            return self._products(wanted, asking, settings or self._settings())
        except Exception:
            log.exception("catalog failed; answering %d id(s) with fallbacks", len(wanted))
            return [fallback(global_id(raw) or raw, Reason.UNAVAILABLE) for raw in wanted], None

    def replay(self, ticket: WarmTicket) -> bool:
        """Count the request ``ticket`` was given for again, as ``products`` counted it, when
        ``products`` would now hand out the very same answers (``WarmTicket.holds``); else
        False, counting nothing: ask ``products`` (it serves an aged answer stale, renewed)."""
        now = self._clock()
        current = (self._settings(), self._warm.generation(), now)
        if ticket.issuer is not self or not ticket.holds(*current):
            return False
        self._index.viewed(ticket.ns, ticket.viewed, by_site=ticket.by_site)
        self._counters.add(ticket.statuses)
        if now - self._last_flush >= self._flush_interval:
            self.flush()
        return True

    def product(
        self, product_id: str, *, purpose: Purpose, settings: Settings | None = None
    ) -> ProductAnswer:
        return self.products([product_id], purpose=purpose, settings=settings)[0]

    def list_answers(
        self, queries: Sequence[ProductQuery], *, purpose: Purpose, settings: Settings | None = None
    ) -> list[ListAnswer]:
        """One answer per search or hot-product query, in the order asked (see ``lists``); the
        products found are cached too, so ``products(ids)`` answers them without a call."""
        chosen = settings or self._settings()
        return self._lists.answers(queries, Purpose(purpose), chosen, self._warm.namespace(chosen))

    def _products(
        self, raw_ids: list[str], purpose: Purpose, settings: Settings
    ) -> tuple[list[ProductAnswer], WarmTicket | None]:
        warm = self._warm
        context = FetchContext(settings=settings, ns=warm.namespace(settings), purpose=purpose)
        ns = context.ns
        now = self._clock()
        generation = warm.generation()
        normalized = [global_id(raw) for raw in raw_ids]
        unique = list(dict.fromkeys(pid for pid in normalized if pid))

        answers: dict[str, ProductAnswer] = {}
        stale: list[str] = []
        cold: list[str] = []
        fresh_until = math.inf  # while every answer comes from memory: when the first ages
        for pid in unique:
            remembered = warm.fresh_until(ns, pid, generation, now)
            if remembered is not None:
                answers[pid], until = remembered  # the warm path: no store read
                fresh_until = min(fresh_until, until)
                continue
            fresh_until = -math.inf
            cached = self._entries.read(ns, pid)
            fresh = cached is not None and cached.fresh(now)
            answer = None
            if cached is not None and cached.servable(now):
                status = Status.HIT if fresh else Status.STALE
                answer = warm.answer(settings, ns, pid, cached, status, generation)
            if answer is None:  # missing, past its stale limit, or unreadable
                cold.append(pid)
                continue
            answers[pid] = answer
            if not fresh:  # served stale (or known-negative): renew it behind this answer
                stale.append(pid)

        to_fetch = []
        for pid in cold:
            memo = self._entries.failure(ns, pid, now)
            if memo is not None:
                answers[pid] = memo.answer(pid)
            else:
                to_fetch.append(pid)
        refused: set[str] = set()
        if to_fetch:
            outcomes = self._fetcher.fetch_cold(context, to_fetch)
            for pid in to_fetch:
                outcome = outcomes.get(pid, Failure(reason=Reason.UNAVAILABLE))
                if outcome is NEW_PRODUCT_REFUSED:
                    refused.add(pid)
                if isinstance(outcome, Entry):
                    # Answered from memory once read back under the generation its write
                    # started (its product stays decoded).
                    answer = warm.answer(settings, ns, pid, outcome, Status.MISS, None)
                    answers[pid] = answer or Failure(reason=Reason.UNAVAILABLE).answer(pid)
                else:
                    answers[pid] = outcome.answer(pid)

        # Ids refused above are not counted as views: they are not products the site shows,
        # and must not become top-up candidates or crowd its products out of the index.
        viewed = [pid for pid in unique if pid not in refused]
        self._index.viewed(ns, viewed, by_site=purpose.rules.for_site)
        self._counters.add(answer.status for answer in answers.values())
        if stale:
            self._renewals.schedule(context, stale)
        if now - self._last_flush >= self._flush_interval:
            self.flush()

        ticket = None
        if generation is not None and fresh_until > now:  # every answer came from memory
            ticket = WarmTicket.of(self, settings, ns, generation, fresh_until, answers, purpose)
        return [
            answers[known] if known else fallback(raw, Reason.INVALID_ID)
            for raw, known in zip(raw_ids, normalized, strict=True)
        ], ticket

    # --- for admin pages and commands --------------------------------------------------------

    def client(self, purpose: Purpose = Purpose.ADMIN) -> AliExpressClient:
        """An API client behind the shared limits, e.g. for "Test connection" (close it)."""
        settings = self._settings()
        context = FetchContext(settings=settings, ns=namespace(settings), purpose=Purpose(purpose))
        return self._fetcher.new_client(context, new_owner())

    def check_connection(self) -> CheckResult:
        """One cheap gateway call with the settings in force, for the settings page's "Test
        connection" button and ``affsite check``. It is paid from the admin reserve of the
        daily quota, so it works even when page views have spent the rest.
        """
        try:
            client = self.client(Purpose.ADMIN)
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
        return demo_sandbox().media(name)

    def short_link_follower(self) -> ShortLinkFollower:
        """A short-link follower whose answers are kept in this cache (30 days; failures
        briefly), so every worker asks the network once per short link. Close it after use.
        """
        return self._short_links(self.stores.data)

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
            entries=self.stores.data.count(),
            volume_bytes=self.stores.data.volume(),
            indexed_products=self._index.count(ns),
            namespace=ns,
            quota=self.quota(),
            breaker=self._gate.breaker.status(credentials_fingerprint(settings)),
            ban_until=float(ban_until) if isinstance(ban_until, int | float) else None,
            cache_state="degraded" if health.degraded or health.write_errors else "ok",
            cache_summary=health.summary(),
            cache_modes=dict(health.modes),
            recent_errors=self._events.errors(),
            stopped_promotable=self._events.stopped_promotable(),
            new_products_used=self._gate.new_products.used(),
            new_products_limit=new_product_limit(settings),
            last_refresh=self._events.last_refresh(self._clock()),
        )

    def clear(self) -> int:
        """Forget every cached product (quota, limits and statistics are kept)."""
        settings = self._settings()
        removed = self._entries.clear()
        self._warm.clear()  # other processes see the generation move on
        self._index.clear(namespace(settings))
        self._fetcher.handoff.clear()
        self._lists.clear()
        return removed

    def due_for_refresh(self, horizon: float | None = None) -> list[str]:
        """Ids ``refresh`` would renew (see ``Renewals.due``), in that order."""
        return [row.product_id for row in self._renewals.due(self._settings(), horizon)]

    def refresh(
        self,
        budget: int,
        *,
        horizon: float | None = None,
        progress: Callable[[int], None] | None = None,
    ) -> RefreshReport:
        """Renew the site's lists, then the entries, expiring soonest with at most ``budget``
        gateway calls.

        ``progress`` is called with the number of ids handled after each call. Stops early
        when a shared limit (quota, ban, breaker, credentials) refuses, or when only
        products public requests asked for are left and the public share is spent.
        """
        report = self._renewals.run(self._settings(), budget, horizon=horizon, progress=progress)
        self._events.refreshed(report.to_json(), self._clock())  # the dashboard shows it
        return report
