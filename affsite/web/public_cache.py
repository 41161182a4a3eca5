"""Cache headers for public answers about products (the JSON API, embeds).

``X-Cache`` tells how the answer was made: for several products the *worst* status among them
(HIT < NEGATIVE < MISS < STALE < FALLBACK); ``X-Cache-Detail`` counts each. Fresh answers may
be kept 5 minutes by a proxy or CDN and then served stale while revalidating or on error
(RFC 5861), so most traffic never reaches Python; stale and fallback answers are kept only
briefly so they are replaced soon.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence

from werkzeug.wrappers import Response

from affsite.catalog import STATUS_SEVERITY, ProductAnswer, Status, aggregate_status

_FRESH_CACHE_CONTROL = "public, max-age=300, stale-while-revalidate=3600, stale-if-error=86400"
_SHORT_CACHE_CONTROL = {
    Status.STALE: "public, max-age=60",
    Status.FALLBACK: "public, max-age=30",
}


def cache_headers(response: Response, answers: Sequence[ProductAnswer]) -> None:
    """X-Cache, X-Cache-Detail and Cache-Control for ``answers`` (see the module doc)."""
    worst = aggregate_status(answers)
    counts = Counter(answer.status for answer in answers)
    response.headers["X-Cache"] = str(worst)
    response.headers["X-Cache-Detail"] = ", ".join(
        f"{status}={counts[status]}" for status in STATUS_SEVERITY if counts[status]
    )
    response.headers["Cache-Control"] = _SHORT_CACHE_CONTROL.get(worst, _FRESH_CACHE_CONTROL)
