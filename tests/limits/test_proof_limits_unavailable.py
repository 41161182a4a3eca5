"""While the shared limits cannot be kept, the catalog still answers every id (from the cache,
or with a fallback that says why) and the gateway gets no call at all (issue 8, row 9), on
either backend: a disk that is full, or a Redis that is down (issue 13).
"""

from __future__ import annotations

import contextlib
import sqlite3
from collections.abc import Callable, Iterator
from pathlib import Path

import diskcache
import pytest

from affsite.aliexpress.sandbox import Sandbox
from affsite.cache import RECOVERY_INTERVAL
from affsite.catalog import Catalog, Purpose, Reason, Status, client_factory
from affsite.clock import FakeClock
from affsite.settings import Settings

from .conftest import OpenStores

DETAIL = "aliexpress.affiliate.productdetail.get"

pytestmark = pytest.mark.parametrize("store_backend", ["disk", "redis"], indirect=True)

Outage = Callable[[], contextlib.AbstractContextManager[str]]


@pytest.fixture
def outage(
    store_backend: str, monkeypatch: pytest.MonkeyPatch, request: pytest.FixtureRequest
) -> Outage:
    """A context in which the shared store fails; it yields the cause the summary names."""

    @contextlib.contextmanager
    def full_disk() -> Iterator[str]:
        def full(*args: object, **kwargs: object) -> None:
            raise sqlite3.OperationalError("database or disk is full")

        with monkeypatch.context() as disk_full:
            disk_full.setattr(diskcache.Cache, "transact", full)
            disk_full.setattr(diskcache.Cache, "set", full)
            yield "the disk is full"

    @contextlib.contextmanager
    def redis_down() -> Iterator[str]:
        server = request.getfixturevalue("redis_server")  # the root conftest's RedisServer
        server.stop()
        try:
            yield "refused the connection"
        finally:
            server.start()

    return redis_down if store_backend == "redis" else full_disk


def test_no_gateway_call_while_the_limits_cannot_be_kept_and_pages_still_answer(
    tmp_path: Path, clock: FakeClock, open_backend_stores: OpenStores, outage: Outage
) -> None:
    sandbox = Sandbox(clock=clock, tracking_ids=("affsite_demo", "default"))
    settings = Settings(rate_limit=1000.0, batch_size=3)
    catalog = Catalog(
        settings=lambda: settings,
        stores=open_backend_stores(tmp_path / "cache", clock=clock),
        client_factory=client_factory(sandbox.transport()),
        clock=clock,
        sleep=clock.sleep,
    )
    ids = sandbox.catalog.promotable_ids()
    cached, new = ids[:3], ids[3:6]
    assert {a.status for a in catalog.products(cached, purpose=Purpose.PAGE)} == {Status.MISS}
    assert sandbox.call_count(DETAIL) == 1

    with outage() as cause:
        clock.advance(1.2 * settings.cache_ttl)  # stale even with expiry jitter: a refresh is due
        for _ in range(3):
            stale = catalog.products(cached, purpose=Purpose.PAGE)
            assert [a.status for a in stale] == [Status.STALE] * 3
            assert all(a.available for a in stale)
            fallback = catalog.products(new, purpose=Purpose.PAGE)
            assert {(a.status, a.reason) for a in fallback} == {
                (Status.FALLBACK, Reason.LIMITS_UNAVAILABLE)
            }
            clock.advance(RECOVERY_INTERVAL)
        assert sandbox.call_count(DETAIL) == 1, "not one call while the limits are unknown"
        stats = catalog.stats()
        assert stats.cache_state == "degraded"
        assert "Gateway calls are stopped" in stats.cache_summary
        assert cause in stats.cache_summary
        assert not catalog.stores.health.limits_ok

    clock.advance(RECOVERY_INTERVAL)
    assert {a.status for a in catalog.products(new, purpose=Purpose.PAGE)} == {Status.MISS}
    assert sandbox.call_count(DETAIL) >= 2, "calls resume by themselves"
    assert catalog.stores.health.limits_ok
    catalog.close()
