"""The tables of the product index's SQLite file, and why each index exists.

``products``: one row per namespace and product id, the fields of ``IndexRow`` plus three
kept for the queries:

* ``half_life``: when half the entry's freshness is used up (0: never cached), so "past half
  their freshness" is a range;
* ``bucket``: ``fresh_until // width`` with the namespace's bucket width, so "closest to
  expiry, most viewed first" is the order of an index;
* ``tier``: 0 the site's own, 1 public requests' only, 2 dormant (not viewed for longer than a
  top-up looks back). Every top-up walks one tier of ``products_rank`` in rank order and
  stops after the ids it needs; dormant rows (the long tail nobody views any more) are never
  walked. The thresholds between tiers live in ``spaces`` and move with time
  (``index_spaces``).

``spaces``: one row per namespace: its row count (for eviction and the dashboard, without
counting), bucket width, tier thresholds, longest entry lifetime seen, last write.

Indexes and the queries they serve (n rows, k rows read or written):

* ``products_rank`` (tier, bucket, views, total views, id; plus the filter columns): top-up
  and refresh selection, O(log n + k);
* ``products_renew`` (tier, half_life): "how many are past half their freshness", O(log n + k);
* ``products_seen`` (last_view): evicting the least recently viewed, tiers going dormant;
* ``products_site`` (site_view): rows leaving or joining the site's own tier.
"""

from __future__ import annotations

SCHEMA_VERSION = 1

SCHEMA = (
    """
    CREATE TABLE products (
        ns TEXT NOT NULL,
        product_id TEXT NOT NULL,
        fresh_until REAL NOT NULL,
        stale_until REAL NOT NULL,
        views INTEGER NOT NULL,
        total_views INTEGER NOT NULL,
        last_view REAL NOT NULL,
        negative INTEGER NOT NULL,
        fetched_at REAL NOT NULL,
        site_view REAL NOT NULL,
        half_life REAL NOT NULL,
        bucket INTEGER NOT NULL,
        tier INTEGER NOT NULL,
        PRIMARY KEY (ns, product_id)
    ) WITHOUT ROWID
    """,
    """
    CREATE INDEX products_rank ON products (
        ns, tier, bucket, views DESC, total_views DESC, product_id,
        half_life, last_view, site_view
    )
    """,
    "CREATE INDEX products_renew ON products (ns, tier, half_life)",
    "CREATE INDEX products_seen ON products (ns, last_view)",
    "CREATE INDEX products_site ON products (ns, site_view)",
    """
    CREATE TABLE spaces (
        ns TEXT PRIMARY KEY,
        count INTEGER NOT NULL,
        width REAL NOT NULL,
        dormant_before REAL NOT NULL,
        site_before REAL NOT NULL,
        max_lifetime REAL NOT NULL,
        written_at REAL NOT NULL,
        migrated INTEGER NOT NULL
    ) WITHOUT ROWID
    """,
)
