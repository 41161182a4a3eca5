"""The catalog: product answers for ids, from the cache and the AliExpress gateway.

Views, template tags, embeds and commands call ``get_catalog().products(ids, purpose=...)``
and get one ``ProductAnswer`` per id, never an exception. Inside: ``facade`` (the ``Catalog``),
``fetching`` (batches with top-up, single-flight, hand-off), ``refresh`` (stale entries and
the cron refresh), ``policy`` (purposes, who pays, failures as reasons), ``entries`` (cache
entries, their keys and their generation), ``warm`` (entries a process remembers, so a warm
answer reads no store), ``index`` (which products the site shows), ``answers`` and
``public_json`` (what callers get), ``stats``, ``background`` (where refreshes run),
``connection`` (which gateway the settings mean, "Test connection") and ``extension`` (Flask).
Search and hot-product lists: ``lists`` (answers under the products' rules) and
``list_entries`` (cached lists, their keys and tokens).
Clicks on boxes (``/go/<id>``): ``click_targets`` (where a click leads: the affiliate link or
the product page, AliExpress only) and ``clicks`` (clicks and views per product and UTC day).
"""

from affsite.catalog.answers import (
    STATUS_SEVERITY,
    Failure,
    ProductAnswer,
    Status,
    aggregate_status,
)
from affsite.catalog.click_targets import ClickTarget, Destination
from affsite.catalog.clicks import ClickReport, ProductClicks
from affsite.catalog.connection import CheckResult, ClientFactory, ClientHooks, client_factory
from affsite.catalog.extension import EXTENSION_KEY, flush_on_exit, get_catalog, init_app
from affsite.catalog.facade import Catalog, FollowerFactory
from affsite.catalog.lists import ListAnswer
from affsite.catalog.policy import Purpose
from affsite.catalog.public_json import Reason
from affsite.catalog.refresh import RefreshReport
from affsite.catalog.stats import CatalogStats

__all__ = [
    "EXTENSION_KEY",
    "STATUS_SEVERITY",
    "Catalog",
    "CatalogStats",
    "CheckResult",
    "ClickReport",
    "ClickTarget",
    "ClientFactory",
    "ClientHooks",
    "Destination",
    "Failure",
    "FollowerFactory",
    "ListAnswer",
    "ProductAnswer",
    "ProductClicks",
    "Purpose",
    "Reason",
    "RefreshReport",
    "Status",
    "aggregate_status",
    "client_factory",
    "flush_on_exit",
    "get_catalog",
    "init_app",
]
