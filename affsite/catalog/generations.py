"""Where every process learns that entries changed: a file in the cache folder on one machine,
a counter in Redis when several machines share the stores.

What a process remembers of entries (``warm``) is answered only while the generation it was
read under is current; see ``entries.Generation``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from affsite.cache import CacheStores
from affsite.catalog.entries import GENERATION_FILE, Generation, GenerationMark

if TYPE_CHECKING:
    from affsite.cache import SharedVersion


class SharedGeneration(Generation):
    """The generation kept in Redis (``SharedVersion``): a change made on one machine is seen
    by every process within a second, and at once by the process that made it."""

    def __init__(self, version: SharedVersion) -> None:
        super().__init__(None)
        self._version = version

    def current(self) -> GenerationMark | None:
        return self._version.current()

    def bump(self) -> None:
        self._version.bump()


def entries_generation(stores: CacheStores) -> Generation:
    """The generation for entries kept in ``stores``."""
    if stores.version is not None:
        return SharedGeneration(stores.version)
    return Generation(None if stores.directory is None else stores.directory / GENERATION_FILE)
