"""Rendered HTML kept per worker process, so a cached product is not drawn again per view.

Drawing a box (template, price formatting) costs several times more than reading the product
from the cache. A page is a pure function of the product answer (id, status, when it was
fetched, reason) and of the settings it shows (disclosure, language, and whatever changes the
cache namespace), so that tuple is the key: a refreshed product or a saved setting makes a new
key, and old ones simply age out of the bounded LRU.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable

MAX_PAGES = 2048


class RenderedPages:
    """A thread-safe, bounded LRU of rendered pages."""

    def __init__(self, max_pages: int = MAX_PAGES) -> None:
        self._pages: OrderedDict[Hashable, str] = OrderedDict()
        self._lock = threading.Lock()
        self.max_pages = max_pages

    def get_or_render(self, key: Hashable, render: Callable[[], str]) -> str:
        with self._lock:
            page = self._pages.get(key)
            if page is not None:
                self._pages.move_to_end(key)
                return page
        page = render()  # outside the lock: two threads may draw the same page once each
        with self._lock:
            self._pages[key] = page
            self._pages.move_to_end(key)
            while len(self._pages) > self.max_pages:
                self._pages.popitem(last=False)
        return page

    def __len__(self) -> int:
        with self._lock:
            return len(self._pages)
