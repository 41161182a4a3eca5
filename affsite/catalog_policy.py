"""How the catalog may spend gateway calls, and what a failed fetch becomes.

A ``Purpose`` says how long a kind of caller may wait and how many attempts it may make: a
visitor's page must not hang on a slow gateway, a command can wait. ``ClientHooks`` is what the
catalog wires into every API client it has built, whatever builds it. A fetch that could not be
made or failed becomes a ``Failure`` with the reason word pages show.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import httpx

from affsite.aliexpress.client import AliExpressClient
from affsite.aliexpress.errors import (
    ApiCallLimit,
    ApiError,
    CredentialsError,
    GatewayUnavailable,
)
from affsite.clock import Clock, Sleeper
from affsite.freshness import Entry
from affsite.limits.gate import AttemptPolicy
from affsite.limits.refusals import CallRefused
from affsite.product_answer import (
    BANNED,
    CREDENTIALS_REJECTED,
    FALLBACK,
    GATEWAY_DOWN,
    NEW_PRODUCT_LIMIT,
    UNAVAILABLE,
    ProductAnswer,
)
from affsite.settings import Settings


@dataclass(frozen=True)
class Purpose:
    name: str
    policy: AttemptPolicy
    lock_wait: float  # seconds to wait for another worker's fetch of the same ids
    max_retries: int
    refresh_inline: bool  # refresh stale entries before returning instead of in the background
    deadline: float  # seconds one gateway call may take, retries included


PURPOSES: dict[str, Purpose] = {
    # A visitor waits for a page: its calls get a few seconds, and stale data or a fallback
    # is better than a page that hangs on a slow gateway.
    "view": Purpose("view", AttemptPolicy(False, 2.0), 5.0, 1, False, 4.0),
    "background": Purpose("background", AttemptPolicy(False, 10.0), 0.0, 1, True, 20.0),
    "cli": Purpose("cli", AttemptPolicy(False, 30.0), 30.0, 2, True, 30.0),
    "refresh": Purpose("refresh", AttemptPolicy(False, 60.0), 0.0, 2, True, 30.0),
    "admin": Purpose("admin", AttemptPolicy(True, 10.0), 10.0, 2, True, 15.0),
}


@dataclass(frozen=True)
class ClientHooks:
    """What a client factory must wire into the API client it builds."""

    before_attempt: Callable[[str], None]
    after_attempt: Callable[[str, ApiError | None], None]
    max_retries: int
    clock: Clock
    sleep: Sleeper


ClientFactory = Callable[[Settings, ClientHooks], AliExpressClient]


def new_product_limit(settings: Settings) -> int:
    """Gateway calls a day for ids first asked for by public requests."""
    return settings.daily_quota * max(0, min(100, settings.new_product_share)) // 100


def client_factory(transport: httpx.BaseTransport | None = None) -> ClientFactory:
    """A factory of ``affsite.gateway.client_for`` clients wired to the catalog's hooks;
    ``transport`` replaces the network (the sandbox in tests and benchmarks).
    """

    def make(settings: Settings, hooks: ClientHooks) -> AliExpressClient:
        from affsite.gateway import client_for

        return client_for(
            settings,
            transport=transport,
            clock=hooks.clock,
            sleep=hooks.sleep,
            before_attempt=hooks.before_attempt,
            after_attempt=hooks.after_attempt,
            max_retries=hooks.max_retries,
        )

    return make


# The production factory: the configured gateway (the in-process sandbox in demo mode).
gateway_client_factory = client_factory()


def reason_for(error: BaseException) -> str:
    """The reason word pages show for a failed fetch."""
    if isinstance(error, CallRefused):
        return error.reason
    if isinstance(error, ApiCallLimit):
        return BANNED
    if isinstance(error, CredentialsError):
        return CREDENTIALS_REJECTED
    if isinstance(error, GatewayUnavailable):
        return GATEWAY_DOWN
    return UNAVAILABLE


@dataclass(frozen=True)
class Failure:
    """A fetch of one id that produced no entry: the reason word, and what to tell the owner."""

    reason: str
    problem: str | None = None
    fix: str | None = None
    until: float | None = None  # when the cause ends, if known (quota reset, end of a ban)

    def answer(self, pid: str) -> ProductAnswer:
        return ProductAnswer(pid, None, FALLBACK, self.reason, None, self.problem, self.fix)


# What fetching one id ends in: the entry now stored, or why there is none.
Outcome = Entry | Failure

NEW_PRODUCT_REFUSED = Failure(
    NEW_PRODUCT_LIMIT,
    "Public requests asked for more new products today than the new-product allowance pays for.",
    "Feature the products you show (settings page, Add products by URL) or raise the share "
    "for new products from public requests.",
)
