"""Index rows, their renewal order, and view batches."""

from __future__ import annotations

from affsite.catalog.index_rows import IndexRow, ViewBatch, bucket_of, ranked


def test_renewal_order_is_the_sites_own_then_expiry_bucket_then_views_then_id() -> None:
    rows = [
        IndexRow(product_id="public-soon", fresh_until=100, site_view=0),
        IndexRow(product_id="site-late", fresh_until=500, site_view=50),
        IndexRow(product_id="site-soon-b", fresh_until=110, views=1, site_view=50),
        IndexRow(product_id="site-soon-a", fresh_until=119, views=1, site_view=50),
        IndexRow(product_id="site-soon-busy", fresh_until=115, views=3, site_view=50),
        IndexRow(product_id="site-never-cached", site_view=50),
    ]
    order = [row.product_id for row in ranked(rows, bucket=20, site_since=10)]
    assert order == [
        "site-never-cached",
        "site-soon-busy",
        "site-soon-a",
        "site-soon-b",
        "site-late",
        "public-soon",
    ]
    assert bucket_of(119.0, 20.0) == 5 == int(119.0 // 20.0)


def test_half_life_is_halfway_through_freshness_and_zero_when_never_cached() -> None:
    assert IndexRow(product_id="1", fetched_at=100, fresh_until=300).half_life() == 200
    assert IndexRow(product_id="1").half_life() == 0


def test_a_batch_that_could_not_be_written_adds_to_the_next() -> None:
    kept, failed = ViewBatch(), ViewBatch()
    kept.add("1", 20.0, by_site=False)
    failed.add("1", 10.0, by_site=True)
    failed.add("2", 10.0, by_site=False)
    kept.merge(failed)
    assert kept.views == {"1": 2, "2": 1}
    assert kept.last_view == {"1": 20.0, "2": 10.0}
    assert kept.site_view == {"1": 10.0}
