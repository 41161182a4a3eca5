"""While the shared limits cannot be kept, the catalog still answers every id (from the cache,
or with a fallback that says why) and the gateway gets no call at all (issue 8, row 9).
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

import diskcache
import pytest

from affsite.aliexpress.sandbox import Sandbox
from affsite.cache import RECOVERY_INTERVAL, open_stores
from affsite.catalog import Catalog, Purpose, Reason, Status, client_factory
from affsite.clock import FakeClock
from affsite.settings import Settings

DETAIL = "aliexpress.affiliate.productdetail.get"


def test_no_gateway_call_while_the_limits_cannot_be_kept_and_pages_still_answer(
    tmp_path: Path, clock: FakeClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    sandbox = Sandbox(clock=clock, tracking_ids=("affsite_demo", "default"))
    settings = Settings(rate_limit=1000.0, batch_size=3)
    catalog = Catalog(
        settings=lambda: settings,
        stores=open_stores(tmp_path / "cache", clock=clock),
        client_factory=client_factory(sandbox.transport()),
        clock=clock,
        sleep=clock.sleep,
    )
    ids = sandbox.catalog.promotable_ids()
    cached, new = ids[:3], ids[3:6]
    assert {a.status for a in catalog.products(cached, purpose=Purpose.PAGE)} == {Status.MISS}
    assert sandbox.call_count(DETAIL) == 1

    def full(*args: object, **kwargs: object) -> None:
        raise sqlite3.OperationalError("database or disk is full")

    with monkeypatch.context() as disk_full:
        disk_full.setattr(diskcache.Cache, "transact", full)
        disk_full.setattr(diskcache.Cache, "set", full)
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
        assert "the disk is full" in stats.cache_summary
        assert not catalog.stores.health.limits_ok

    clock.advance(RECOVERY_INTERVAL)
    assert {a.status for a in catalog.products(new, purpose=Purpose.PAGE)} == {Status.MISS}
    assert sandbox.call_count(DETAIL) >= 2, "calls resume by themselves"
    assert catalog.stores.health.limits_ok
    catalog.close()
