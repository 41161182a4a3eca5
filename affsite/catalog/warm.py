"""Warm answers: what one process remembers of the entries it read, so that answering a fresh,
cached product costs no store read.

Each remembered entry keeps its product decoded (decoding re-checks every URL of the product and
costs several times more than reading the entry) and the answer it gives while fresh. It answers
from memory while the entries' ``Generation`` (``affsite.catalog.entries``) is where it was when
the entry was read: any write or clear by any process moves it on, and finding out costs one
``stat``. Freshness is still decided by the clock on every answer, so a remembered entry that
expired is read from the store again (another worker may have renewed it).

A warm answer is the very same ``ProductAnswer`` object each time, as long as the entry read
back is equal: layers above may keep what they drew from it, keyed by its identity.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from affsite.aliexpress import Product
from affsite.catalog.answers import ProductAnswer, Status
from affsite.catalog.connection import media_base_url
from affsite.catalog.entries import Entries, Entry, GenerationMark, namespace
from affsite.catalog.public_json import Reason
from affsite.lru import LRU
from affsite.settings import Settings

REMEMBERED_ENTRIES = 4096  # per process; about 6 kB each with the product decoded


@dataclass(frozen=True, kw_only=True)
class _Remembered:
    generation: GenerationMark | None  # when it was read; None: never answer from memory
    entry: Entry
    fresh_answer: ProductAnswer  # HIT (or NEGATIVE), its product decoded


class WarmAnswers:
    """The entries this process read and the answers they give (see the module doc)."""

    def __init__(self, entries: Entries, max_entries: int = REMEMBERED_ENTRIES) -> None:
        self._entries = entries
        self._remembered: LRU[tuple[str, str], _Remembered] = LRU(max_entries)
        self._namespace: tuple[Settings, str] | None = None

    def namespace(self, settings: Settings) -> str:
        """``entries.namespace(settings)``, worked out once per settings object (the settings
        store hands out the same object until they change)."""
        known = self._namespace
        if known is not None and known[0] is settings:
            return known[1]
        ns = namespace(settings)
        self._namespace = (settings, ns)
        return ns

    def generation(self) -> GenerationMark | None:
        """Read before any entry: a write after this moment makes what is read now outdated."""
        return self._entries.generation()

    def fresh(
        self, ns: str, pid: str, generation: GenerationMark | None, now: float
    ) -> ProductAnswer | None:
        """The remembered answer for ``pid`` when it is still the store's and fresh at
        ``now``; None: read the store."""
        known = self._remembered.get((ns, pid))
        if (
            known is None
            or generation is None
            or known.generation != generation
            or not known.entry.fresh(now)
        ):
            return None
        return known.fresh_answer

    def answer(
        self,
        settings: Settings,
        ns: str,
        pid: str,
        entry: Entry,
        status: Status,
        generation: GenerationMark | None,
    ) -> ProductAnswer | None:
        """The answer ``entry`` (read under ``generation``; None: not to be answered from
        memory, e.g. just written) gives with ``status``; None when its product data cannot
        be read. The entry is remembered."""
        key = (ns, pid)
        known = self._remembered.get(key)
        if known is not None and known.entry == entry:
            fresh_answer = known.fresh_answer
        elif entry.data is None:
            fresh_answer = ProductAnswer(
                id=pid,
                status=Status.NEGATIVE,
                reason=Reason.NOT_PROMOTABLE,
                fetched_at=entry.fetched_at,
            )
        else:
            try:
                media = media_base_url(settings)
                product = Product.from_dict(entry.data, media_base_url=media)
            except (TypeError, ValueError):
                return None
            fresh_answer = ProductAnswer(
                id=pid, status=Status.HIT, product=product, fetched_at=entry.fetched_at
            )
        if (
            known is None
            or known.generation != generation
            or known.fresh_answer is not fresh_answer
        ):
            self._remembered.put(
                key, _Remembered(generation=generation, entry=entry, fresh_answer=fresh_answer)
            )
        if status == Status.HIT or fresh_answer.status == Status.NEGATIVE:
            return fresh_answer
        return replace(fresh_answer, status=status)

    def clear(self) -> None:
        """Forget everything (other processes see the generation move on)."""
        self._remembered.clear()
