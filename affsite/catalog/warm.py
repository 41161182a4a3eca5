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

A request answered wholly from memory gets a ``WarmTicket``: what the catalog needs to tell, on
a later request for the same ids, that it would hand out the very same answers (same settings
object, same generation, every entry still fresh), and to count that request as it counts any
(``Catalog.replay``). Layers above may then hand over what they made without asking again.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass, replace

from affsite.aliexpress import Product
from affsite.catalog.answers import ProductAnswer, Status
from affsite.catalog.connection import media_base_url
from affsite.catalog.entries import Entries, Entry, GenerationMark, namespace
from affsite.catalog.policy import Purpose
from affsite.catalog.public_json import Reason
from affsite.lru import LRU
from affsite.settings import Settings

REMEMBERED_ENTRIES = 1024  # per process; under 3 kB each with the product decoded


@dataclass(frozen=True, kw_only=True, slots=True)
class _Remembered:
    generation: GenerationMark | None  # when it was read; None: never answer from memory
    # The entry's times. Its product data is kept decoded in ``fresh_answer`` and, to tell
    # whether an entry read again is the same, as a digest: keeping the data as read too
    # would more than double what each entry costs.
    entry: Entry
    digest: bytes | None  # of the product data as read; None for a negative entry
    fresh_answer: ProductAnswer  # HIT (or NEGATIVE), its product decoded


def _digest(data: Mapping[str, object] | None) -> bytes | None:
    """A digest of product data as decoded from the store. Two reads of the same stored
    entry decode to equal data in the same order, hence the same text; data written again
    in another order only costs decoding it once more."""
    if data is None:
        return None
    text = repr(data).encode("utf-8", "surrogatepass")
    return hashlib.blake2b(text, digest_size=16).digest()


@dataclass(frozen=True, kw_only=True, eq=False, slots=True)
class WarmTicket:
    """A request the catalog answered wholly from memory, and how it counted it (see the module
    doc). Compared by identity: each request gets its own."""

    issuer: object  # the catalog that answered; another one never replays it
    settings: Settings  # the very object the answers were made under
    ns: str
    generation: GenerationMark
    fresh_until: float  # the earliest end of freshness among the entries
    viewed: tuple[str, ...]  # ids counted as viewed, each once
    statuses: tuple[Status, ...]  # one per id counted
    by_site: bool

    @classmethod
    def of(
        cls,
        issuer: object,
        settings: Settings,
        ns: str,
        generation: GenerationMark,
        fresh_until: float,
        answers: Mapping[str, ProductAnswer],
        purpose: Purpose,
    ) -> WarmTicket:
        """The ticket for a request whose every answer (by product id) came from memory."""
        return cls(
            issuer=issuer,
            settings=settings,
            ns=ns,
            generation=generation,
            fresh_until=fresh_until,
            viewed=tuple(answers),
            statuses=tuple(answer.status for answer in answers.values()),
            by_site=purpose.rules.for_site,
        )

    def holds(self, settings: Settings, generation: GenerationMark | None, now: float) -> bool:
        """True while the catalog would hand out the very same answers: the same settings
        object (a save or an environment change makes a new one), no entry written or cleared
        by any process since (the generation), every entry still fresh at ``now``."""
        return (
            settings is self.settings and generation == self.generation and now < self.fresh_until
        )


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
        found = self.fresh_until(ns, pid, generation, now)
        return None if found is None else found[0]

    def fresh_until(
        self, ns: str, pid: str, generation: GenerationMark | None, now: float
    ) -> tuple[ProductAnswer, float] | None:
        """``fresh``, with the moment the answer stops being fresh."""
        known = self._remembered.get((ns, pid))
        if (
            known is None
            or generation is None
            or known.generation != generation
            or not known.entry.fresh(now)
        ):
            return None
        return known.fresh_answer, known.entry.fresh_until

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
        digest = _digest(entry.data)
        times = entry if entry.data is None else replace(entry, data=None)
        if known is not None and known.entry == times and known.digest == digest:
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
                key,
                _Remembered(
                    generation=generation, entry=times, digest=digest, fresh_answer=fresh_answer
                ),
            )
        if status == Status.HIT or fresh_answer.status == Status.NEGATIVE:
            return fresh_answer
        return replace(fresh_answer, status=status)

    def clear(self) -> None:
        """Forget everything (other processes see the generation move on)."""
        self._remembered.clear()
