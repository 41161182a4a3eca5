"""The public routes the load scenarios send visitors to, and what a good answer looks like."""

from __future__ import annotations

import json
import random
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING
from urllib.parse import quote

if TYPE_CHECKING:
    from .stack import LoadStack

TEMPLATES = ("box", "grid", "list", "table", "compact", "button", "link", "field")
#: Routes whose answer draws products from the catalog (``X-Cache`` names how).
PRODUCT_ROUTES = ("/api/v1/products", "/api/v1/snippet", "/embed/", "/oembed", "/api/v1/embeds")


def unknown_ids(stack: LoadStack, count: int, seed: int) -> list[str]:
    """Product ids nobody has asked for (neither the site nor the sandbox knows them)."""
    rng = random.Random(seed)
    catalog = stack.sandbox.catalog
    known = {*catalog.promotable_ids(), *catalog.not_promotable_ids()}
    ids: dict[str, None] = {}
    for _ in range(10 * count):  # bounded: collisions are rare
        pid = f"1005{rng.randrange(10**11, 10**12)}"
        if pid not in known:
            ids[pid] = None
        if len(ids) == count:
            break
    return list(ids)


def product_url(pid: str) -> str:
    return f"https://www.aliexpress.com/item/{pid}.html"


def public_paths(ids: Sequence[str]) -> list[str]:
    """One visit to every public route for ``ids`` (a few ids per list, all of them across
    the routes)."""
    paths: list[str] = ["/", "/embed.js", "/healthz"]
    for n, pid in enumerate(ids):
        few = ",".join(ids[n : n + 4]) if n + 4 <= len(ids) else pid
        template = TEMPLATES[n % len(TEMPLATES)]
        paths += [
            f"/api/v1/products?ids={few}",
            f"/api/v1/snippet?ids={few}&template={template}",
            f"/embed/{template}?ids={few}",
            f"/embed/iframe/{pid}",
            f"/go/{pid}",
            f"/oembed?url={quote(product_url(pid), safe='')}&format=json",
            f"/api/v1/embeds?b={quote(f'ids={few}&template={template}', safe='')}",
        ]
    return paths


def draws_products(path: str) -> bool:
    return path.startswith(PRODUCT_ROUTES)


def unavailable_items(body: bytes) -> int:
    """Products the JSON API answered as unavailable."""
    items = json.loads(body)
    return sum(1 for item in items if not item.get("available"))


def header(headers: Mapping[str, str], name: str) -> str:
    return headers.get(name.lower(), "")
