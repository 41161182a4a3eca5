"""The sandbox gateway served over HTTP on 127.0.0.1 from this process, for benchmarks that run
``affsite serve`` against a gateway they can count, slow down and size.

The sandbox answers only the products of its catalog (241 built in): any other id is left out
of its answers, as the real gateway leaves out ids it will not return. For a site's scale,
``scaled_catalog`` clones the built-in listings under new ids: the same kinds of titles,
prices, pictures and missing fields, each answered by the same sandbox code, so the app does
exactly the work a real catalog of that size would ask of it.
"""

from __future__ import annotations

import contextlib
import dataclasses
from collections.abc import Iterator
from dataclasses import dataclass

from affsite.aliexpress.sandbox import (
    DEMO_APP_KEY,
    DEMO_APP_SECRET,
    Sandbox,
    SandboxCatalog,
    ServerHandle,
    serve,
)
from affsite.aliexpress.sandbox.endpoint import default_catalog

DETAIL = "aliexpress.affiliate.productdetail.get"
TRACKING_ID = "bench_site"
FIRST_ID = 1_005_009_000_000_000  # 16-digit ids, as current listings have


def scaled_catalog(count: int) -> SandboxCatalog:
    """``count`` promotable products: the built-in listings cloned in turn under the ids
    ``FIRST_ID``, ``FIRST_ID + 1``, ... (so ``product_ids(count)`` names them)."""
    if not 1 <= count <= 1_000_000:
        raise ValueError("a scaled catalog holds 1 to 1,000,000 products")
    base = default_catalog()
    products = [
        dataclasses.replace(base.products[n % len(base.products)], id=FIRST_ID + n, promotable=True)
        for n in range(count)
    ]
    return SandboxCatalog(products, base.categories)


def product_ids(count: int, start: int = 0) -> list[str]:
    """Ids ``start`` to ``start + count - 1`` of a scaled catalog."""
    return [str(FIRST_ID + n) for n in range(start, start + count)]


@dataclass
class Gateway:
    sandbox: Sandbox
    handle: ServerHandle

    def calls(self) -> int:
        """Product-detail calls received so far (how products are fetched)."""
        return self.sandbox.call_count(DETAIL)

    def env(self, **settings: str) -> dict[str, str]:
        """The ``AFFSITE_*`` variables pointing ``affsite serve`` at this gateway."""
        return {
            "AFFSITE_API_URL": self.handle.sync_url,
            "AFFSITE_APP_KEY": DEMO_APP_KEY,
            "AFFSITE_APP_SECRET": DEMO_APP_SECRET,
            "AFFSITE_TRACKING_ID": TRACKING_ID,
            **settings,
        }


@contextlib.contextmanager
def gateway(catalog: SandboxCatalog, *, latency: float = 0.0) -> Iterator[Gateway]:
    """The sandbox with ``catalog`` on a free port, every call taking ``latency`` seconds
    more (its ``slow`` fault, standing for the distance to the real gateway)."""
    sandbox = Sandbox(tracking_ids=(TRACKING_ID,), catalog=catalog)
    if latency > 0:
        sandbox.inject("slow", seconds=latency)
    with serve(sandbox) as handle:
        yield Gateway(sandbox, handle)
