"""How the catalog may spend gateway calls, who pays for them, and what a failure becomes.

A ``Purpose`` names who is asking. Its ``Rules`` say how long that caller may wait and how
many attempts it may make (a visitor's page must not hang on a slow gateway, a command can
wait) and whether asking makes the products the site's own.

Who pays (``PublicShare``): the site's own products (asked for by its pages, commands and
admin actions within the last ``keep_window``, or featured) are fetched and refreshed from
the daily quota. Products that only public requests (the JSON API, embeds: anyone can send
any id) asked for are fetched and refreshed from the new-product allowance, a share of the
quota; when it is spent they are not fetched and are served stale until their limit. They may
still fill the free room of a call made for the site's products, which costs no extra call.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from types import MappingProxyType

from affsite.aliexpress import ApiCallLimit, CredentialsError, GatewayUnavailable
from affsite.catalog.answers import Failure
from affsite.catalog.index import ProductIndex
from affsite.catalog.public_json import Reason
from affsite.clock import Clock
from affsite.limits import AttemptPolicy, CallRefused, NewProductAllowance
from affsite.settings import Settings

log = logging.getLogger(__name__)


class Purpose(StrEnum):
    """Who asks the catalog for products. An unknown name is an error (``ValueError``).

    >>> Purpose("public").rules.public
    True
    """

    PAGE = "page"  # the site's own pages and template tags
    PUBLIC = "public"  # addresses anyone can call with any id: the JSON API, embeds
    CLI = "cli"  # commands the site owner runs
    ADMIN = "admin"  # admin actions ("Test connection"); may use the admin reserve
    REFRESH = "refresh"  # the cron refresh (``affsite refresh``)
    BACKGROUND = "background"  # renewing stale entries behind an answer

    @property
    def rules(self) -> Rules:
        return RULES[self]


@dataclass(frozen=True, kw_only=True)
class Rules:
    attempts: AttemptPolicy
    lock_wait: float  # seconds to wait for another worker's fetch of the same ids
    max_retries: int
    refresh_inline: bool  # refresh stale entries before returning instead of in the background
    deadline: float  # seconds one gateway call may take, retries included
    for_site: bool  # asking makes the products the site's own (paid from the quota)
    public: bool  # new products are fetched only within the new-product allowance


def _rules(
    rate_wait: float,
    lock_wait: float,
    retries: int,
    deadline: float,
    *,
    inline: bool = True,
    reserve: bool = False,
    for_site: bool = False,
    public: bool = False,
) -> Rules:
    return Rules(
        attempts=AttemptPolicy(uses_reserve=reserve, max_rate_wait=rate_wait),
        lock_wait=lock_wait,
        max_retries=retries,
        refresh_inline=inline,
        deadline=deadline,
        for_site=for_site,
        public=public,
    )


RULES: Mapping[Purpose, Rules] = MappingProxyType(
    {
        # A visitor waits for a page: its calls get a few seconds, and stale data or a
        # fallback is better than a page that hangs on a slow gateway. Columns: seconds to
        # wait for the speed limiter, for another worker's fetch; retries; call deadline.
        Purpose.PAGE: _rules(2.0, 5.0, 1, 4.0, inline=False, for_site=True),
        Purpose.PUBLIC: _rules(2.0, 5.0, 1, 4.0, inline=False, public=True),
        Purpose.CLI: _rules(30.0, 30.0, 2, 30.0, for_site=True),
        Purpose.ADMIN: _rules(10.0, 10.0, 2, 15.0, reserve=True, for_site=True),
        Purpose.REFRESH: _rules(60.0, 0.0, 2, 30.0),
        Purpose.BACKGROUND: _rules(10.0, 0.0, 1, 20.0),
    }
)

# A shared limit that refuses these refuses every further call for a while: a run of
# refreshes stops at the first.
STOPPING = frozenset(
    {
        Reason.QUOTA_EXHAUSTED,
        Reason.BANNED,
        Reason.GATEWAY_DOWN,
        Reason.CREDENTIALS_REJECTED,
        Reason.LIMITS_UNAVAILABLE,
    }
)

NEW_PRODUCT_REFUSED = Failure(
    reason=Reason.NEW_PRODUCT_LIMIT,
    problem="Public requests asked for more new products today than the new-product "
    "allowance pays for.",
    fix="Feature the products you show (settings page, Add products by URL) or raise the "
    "share for new products from public requests.",
)


def reason_for(error: BaseException) -> Reason:
    """The reason pages show for a failed fetch."""
    if isinstance(error, CallRefused):
        try:
            return Reason(error.reason)
        except ValueError:
            log.warning("a shared limit refused with an unknown reason %r", error.reason)
            return Reason.UNAVAILABLE
    if isinstance(error, ApiCallLimit):
        return Reason.BANNED
    if isinstance(error, CredentialsError):
        return Reason.CREDENTIALS_REJECTED
    if isinstance(error, GatewayUnavailable):
        return Reason.GATEWAY_DOWN
    return Reason.UNAVAILABLE


def new_product_limit(settings: Settings) -> int:
    """Gateway calls a day for products only public requests asked for."""
    return settings.daily_quota * max(0, min(100, settings.new_product_share)) // 100


def keep_window(settings: Settings) -> float:
    """Seconds a product stays the site's own after the site last asked for it: as long as
    the catalog keeps renewing a product nobody views (its freshness and stale limit), and
    at least a day.
    """
    return max(settings.cache_ttl + settings.stale_ttl, 86_400.0)


@dataclass(frozen=True, kw_only=True)
class Payment:
    """Which claimed ids a call may be made for (the site's first), and which it may not."""

    fetch: list[str]
    refused: list[str]


class PublicShare:
    """The new-product allowance and the site's own products (see the module docstring)."""

    def __init__(
        self,
        allowance: NewProductAllowance,
        index: ProductIndex,
        clock: Clock,
        *,
        refused_now: Callable[[Settings], bool] = lambda settings: False,
    ):
        """``refused_now``: whether the shared limits would refuse a call right now (the
        gate's ``refuses_now``). Such a call is never made, so it costs nothing from the
        share: an outage or a spent quota does not use up the day's share."""
        self._allowance = allowance
        self._index = index
        self._clock = clock
        self._refused_now = refused_now

    def site_products(self, settings: Settings, ns: str, ids: Collection[str]) -> set[str]:
        """The ids of ``ids`` that are the site's own: featured, or asked for by the site."""
        featured = {pid for pid in ids if pid in settings.featured_products}
        since = self._clock() - keep_window(settings)
        return featured | self._index.for_site(ns, ids, since=since)

    def pay(
        self, settings: Settings, ids: Sequence[str], site: Collection[str], *, riders: bool
    ) -> Payment:
        """Take from today's allowance what fetching the public-only ids of ``ids`` costs.

        The site's ids come first. With ``riders``, public-only ids first fill the free
        room of the last call for the site's ids (no extra call); every further call is
        paid from the allowance, and the ids no granted call carries are refused.
        """
        size = max(1, settings.batch_size)
        mine = [pid for pid in ids if pid in site]
        public = [pid for pid in ids if pid not in site]
        room = -len(mine) % size if riders and mine else 0
        free, rest = public[:room], public[room:]
        granted = 0
        if rest and self._refused_now(settings):
            return Payment(fetch=list(ids), refused=[])  # the gate refuses them, unpaid
        if rest:
            calls = math.ceil(len(rest) / size)
            granted = self._allowance.take(calls, new_product_limit(settings)) * size
        return Payment(fetch=[*mine, *free, *rest[:granted]], refused=rest[granted:])

    def take_calls(self, settings: Settings, calls: int) -> int:
        """Take up to ``calls`` calls from today's allowance (for a search list only public
        requests asked for); how many were granted (all of them, unpaid, while the gate
        refuses every call)."""
        if self._refused_now(settings):
            return calls
        return self._allowance.take(calls, new_product_limit(settings))
