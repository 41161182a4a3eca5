"""Renewing entries: stale ones behind the answer that found them, and the cron refresh.

Stale-while-revalidate: an expired entry within its stale limit is answered at once and one
refresh is scheduled (in the background, or right away for purposes that may wait); if it
fails, stale keeps being served until its limit (stale-if-error).

``affsite refresh`` (cron) renews, within a budget of gateway calls, the site's own search and
hot-product lists expiring soonest (``site_lists``: each call also renews the products it
finds), then the product entries expiring soonest, the site's own products first. Products
only public requests asked for are renewed from the public share and skipped once it is spent
(``policy.PublicShare``); lists only public requests asked for are renewed when viewed.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from affsite.catalog.answers import Failure, Status
from affsite.catalog.background import InlineRefresher, Refresher
from affsite.catalog.entries import Entries, namespace
from affsite.catalog.fetching import FetchContext, Fetcher, new_owner
from affsite.catalog.index import IndexRow, ProductIndex
from affsite.catalog.lists import Lists
from affsite.catalog.policy import STOPPING, Purpose, keep_window
from affsite.catalog.public_json import Reason
from affsite.catalog.site_lists import SiteList
from affsite.clock import Clock
from affsite.settings import Settings

log = logging.getLogger(__name__)


@dataclass(kw_only=True)
class RefreshReport:
    """What a cron refresh did."""

    due: int = 0
    calls: int = 0
    refreshed: int = 0
    not_promotable: int = 0
    failed: int = 0
    stopped: Reason | None = None  # when a shared limit (or the public share) ended the run
    ids: list[str] = field(default_factory=list)
    lists_due: int = 0
    lists_renewed: int = 0
    lists_failed: int = 0

    def to_json(self) -> dict[str, Any]:
        return {
            "due": self.due,
            "calls": self.calls,
            "refreshed": self.refreshed,
            "not_promotable": self.not_promotable,
            "failed": self.failed,
            "stopped": None if self.stopped is None else str(self.stopped),
            "lists": {
                "due": self.lists_due,
                "renewed": self.lists_renewed,
                "failed": self.lists_failed,
            },
        }


class Renewals:
    """Schedules refreshes of stale entries and runs the cron refresh."""

    def __init__(
        self,
        *,
        fetcher: Fetcher,
        entries: Entries,
        index: ProductIndex,
        refresher: Refresher,
        clock: Clock,
        lists: Lists | None = None,
    ) -> None:
        self._fetcher = fetcher
        self._lists = lists
        self._entries = entries
        self._index = index
        self._refresher = refresher
        self._clock = clock

    def close(self) -> None:
        self._refresher.close()

    def schedule(self, context: FetchContext, stale: list[str]) -> None:
        """Renew ``stale`` (answered stale under ``context``) unless a recent failure says
        not to yet; in the background unless the purpose may wait. The renewal runs under
        the settings in force when it runs (``FetchContext.in_force``), not those it was
        scheduled under: it may wait in the queue while the settings are saved.
        """
        now = self._clock()
        due = [pid for pid in stale if self._entries.failure(context.ns, pid, now) is None]
        if not due:
            return
        background = FetchContext(
            settings=context.settings, ns=context.ns, purpose=Purpose.BACKGROUND
        )
        for_site = context.rules.for_site

        def job(ids: list[str]) -> None:
            current = background.in_force(self._fetcher.settings)
            if current is not None:
                self._fetcher.renew(current, ids, for_site=for_site)

        runner = InlineRefresher() if context.rules.refresh_inline else self._refresher
        runner.submit(context.ns, due, job)

    def due(self, settings: Settings, horizon: float | None = None) -> list[IndexRow]:
        """Rows whose entries expire within ``horizon`` seconds (default: a quarter of the
        cache lifetime) or already did, and that were viewed while their entry could still
        be served: the site's own first, soonest first, most viewed first among equals.
        """
        now = self._clock()
        ahead = settings.cache_ttl / 4 if horizon is None else horizon
        return self._index.due(
            namespace(settings),
            before=now + ahead,
            active_since=now - max(settings.cache_ttl + settings.stale_ttl, 86_400),
            site_since=now - keep_window(settings),
            bucket=settings.cache_ttl / 48,
        )

    def run(
        self,
        settings: Settings,
        budget: int,
        *,
        horizon: float | None = None,
        progress: Callable[[int], None] | None = None,
    ) -> RefreshReport:
        """Renew the site's lists, then the entries, expiring soonest with at most
        ``budget`` gateway calls."""
        context = FetchContext(settings=settings, ns=namespace(settings), purpose=Purpose.REFRESH)
        report = RefreshReport()
        self._renew_lists(context, budget, horizon, report)
        rows = self.due(settings, horizon)  # after the lists: their calls renewed products too
        report.due = len(rows)
        if report.stopped in STOPPING:
            return report
        owner = new_owner()
        try:
            client = self._fetcher.new_client(context, owner)
        except Exception as error:
            log.warning("cannot build an API client: %s", error)
            report.stopped = Reason.NOT_CONFIGURED
            return report
        size = settings.batch_size
        queue = [row.product_id for row in rows]
        try:
            while queue and report.calls < budget:
                candidates, queue = queue[:size], queue[size:]
                # Ids locked by another worker are being renewed right now: skip them.
                mine = self._fetcher.claim(context.ns, candidates, owner).mine
                if not mine:
                    continue
                payment = self._fetcher.pay(context, mine, owner, riders=True)
                if payment.refused:
                    # The site's own products come first: only public-only ones are left,
                    # and the public share is spent.
                    self._fetcher.release(context.ns, payment.fetch, owner)
                    report.stopped = Reason.NEW_PRODUCT_LIMIT
                    break
                batch = payment.fetch
                outcomes = self._fetcher.fetch_batch(context, client, batch, set(batch), owner)
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
                if report.stopped in STOPPING:
                    break
        finally:
            client.close()
        return report

    def due_lists(self, settings: Settings, horizon: float | None = None) -> list[SiteList]:
        """The site's lists whose cached answers expire within ``horizon`` seconds (default: a
        quarter of the list expiration time) or already did, soonest first."""
        if self._lists is None:
            return []
        ns, now = namespace(settings), self._clock()
        ahead = settings.list_ttl / 4 if horizon is None else horizon
        kept = self._lists.site_lists.recent(ns, since=now - keep_window(settings))
        expiring = [(self._lists.fresh_until(ns, item.token), item) for item in kept]
        return [item for until, item in sorted(expiring, key=lambda p: p[0]) if until < now + ahead]

    def _renew_lists(
        self, context: FetchContext, budget: int, horizon: float | None, report: RefreshReport
    ) -> None:
        if self._lists is None:
            return
        due = self.due_lists(context.settings, horizon)
        report.lists_due = len(due)
        for item in due:
            if report.calls >= budget:
                break
            if self._entries.failure(context.ns, item.token, self._clock()) is not None:
                continue  # failed a moment ago: not asked again yet
            answer = self._lists.renew(item.query, item.token, context)
            if answer is None:
                continue  # another worker is renewing it right now
            report.calls += 1
            if answer.status is Status.FALLBACK:
                report.lists_failed += 1
                if answer.reason in STOPPING:  # every further call would be refused too
                    report.stopped = answer.reason
                    return
            else:
                report.lists_renewed += 1
