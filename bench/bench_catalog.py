"""Benchmark: gateway calls for simulated days of page views, against two baselines.

Prints a markdown section. Run: ``.venv/bin/python bench/bench_catalog.py [--quick]``.

The trace: PRODUCTS products placed on PAGES pages (1 to 8 products each); page popularity
follows Zipf(s); VIEWS page views a day at random times. It is replayed with an injected clock
through the real catalog (disk cache in a temporary folder, shared limits, background refresh
run inline) against the in-process sandbox gateway, which counts the calls it receives.

The same trace is counted for two baselines:

* no cache: one gateway call per page view (what the popular Python wrappers do);
* per-product cache for 24 h, no batching: one call per product whose cache entry is missing or
  expired when a page shows it (what a typical WordPress plugin does).

Floor per day: ceil(active products / batch size) x (86,400 / cache expiration), where active
products are the distinct products shown that day: every product shown must be renewed once
per expiration period, and one call renews at most a batch.

Two more measures of the same catalog at a larger scale:

* replay time per 1,000 page views with 2,000, 20,000 and 100,000 products, side by side: the
  cache already warm (every product fetched once in the day before, at evenly spread times, as
  on a site that has run for a while), then a stretch of page views of the same shape as the
  trace above (a page shows 4 products on average; 2.5 views a day per product);
* a real site's day: 100,000 products, 1,000,000 page views with Zipf popularity, replayed
  after the same warm-up: gateway calls against the floor, distinct products kept fresh per
  5,000 calls, the replay's wall time and the process's peak memory.

``--quick`` runs every part at small sizes (well under a minute; its figures are not quoted).
Progress goes to stderr.
"""

from __future__ import annotations

import argparse
import bisect
import dataclasses
import itertools
import math
import platform
import random
import resource
import sqlite3
import sys
import tempfile
import time
from collections import Counter, defaultdict
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from unittest import mock

from affsite.aliexpress import AliExpressClient
from affsite.aliexpress.sandbox import Sandbox, SandboxCatalog
from affsite.aliexpress.sandbox.endpoint import default_catalog
from affsite.cache import CacheStores, open_stores
from affsite.catalog import (
    Catalog,
    ClientFactory,
    ClientHooks,
    Purpose,
    client_factory,
    facade,
)
from affsite.catalog.index import ProductIndex, StoreIndex, open_product_index
from affsite.clock import Clock, FakeClock
from affsite.settings import Settings

DAY = 86_400
DETAIL = "aliexpress.affiliate.productdetail.get"
START = 1_717_200_000.0  # 2024-06-01 00:00 UTC


@dataclass(frozen=True)
class Trace:
    pages: list[list[str]]  # product ids per page
    days: list[list[tuple[float, int]]]  # per day: (time, page index), sorted by time


def big_catalog(count: int, not_promotable: float | None, seed: int) -> SandboxCatalog:
    """``count`` products: the sandbox's own, cloned under new ids (same hostile, non-Latin
    and missing-field cases). ``not_promotable`` is the share the gateway never returns;
    None keeps the sandbox's own mix.
    """
    rng = random.Random(seed)
    base = default_catalog()
    products = []
    for n in range(count):
        template = base.products[n % len(base.products)]
        product = dataclasses.replace(template, id=1005008000000000 + n)
        if not_promotable is not None:
            product = dataclasses.replace(product, promotable=rng.random() >= not_promotable)
        products.append(product)
    return SandboxCatalog(products, base.categories)


def make_trace(
    ids: list[str], *, pages: int, views: int, days: int, zipf: float, seed: int
) -> Trace:
    rng = random.Random(seed)
    shuffled = list(ids)
    rng.shuffle(shuffled)
    # Every product on one page; pages hold 1..8 products (about len(ids)/pages on average).
    cuts = sorted(rng.sample(range(1, len(shuffled)), pages - 1))
    layout = [shuffled[a:b] for a, b in zip([0, *cuts], [*cuts, len(shuffled)], strict=True)]
    weights = [1 / (rank**zipf) for rank in range(1, pages + 1)]
    cumulative = []
    total = 0.0
    for weight in weights:
        total += weight
        cumulative.append(total)
    schedule = []
    for day in range(days):
        moments = sorted(START + day * DAY + rng.uniform(0, DAY) for _ in range(views))
        picks = [bisect.bisect_left(cumulative, rng.uniform(0, total)) for _ in range(views)]
        schedule.append(list(zip(moments, picks, strict=True)))
    return Trace(layout, schedule)


@dataclass
class DayResult:
    views: int = 0
    impressions: int = 0
    active: set[str] = field(default_factory=set)
    calls: int = 0
    statuses: Counter[str] = field(default_factory=Counter)
    fresh_products: set[str] = field(default_factory=set)
    no_cache_calls: int = 0
    per_product_calls: int = 0
    negative_active: set[str] = field(default_factory=set)


def replay(trace: Trace, settings: Settings, sandbox_catalog: SandboxCatalog) -> list[DayResult]:
    clock = FakeClock(START)
    sandbox = Sandbox(clock=clock, catalog=sandbox_catalog)
    transport = sandbox.transport()

    factory = client_factory(transport)

    results = []
    per_product_expiry: dict[str, float] = {}
    with tempfile.TemporaryDirectory() as folder:
        catalog = Catalog(
            settings=lambda: settings,
            stores=open_stores(Path(folder) / "cache"),
            client_factory=factory,
            clock=clock,
            sleep=clock.sleep,
            rng=random.Random(7),
            flush_interval=300.0,  # view counts may lag 5 minutes; saves replay time
        )
        for day in trace.days:
            result = DayResult()
            before = sandbox.call_count(DETAIL)
            for at, page in day:
                clock.now = max(clock.now, at)
                ids = trace.pages[page]
                answers = catalog.products(ids, purpose=Purpose.PAGE)
                result.views += 1
                result.impressions += len(ids)
                result.active.update(ids)
                for answer in answers:
                    result.statuses[answer.status] += 1
                    if answer.status == "NEGATIVE":
                        result.negative_active.add(answer.id)
                    if answer.status in ("HIT", "MISS", "NEGATIVE"):
                        result.fresh_products.add(answer.id)
                # Baselines, counted on the same views.
                result.no_cache_calls += math.ceil(len(ids) / settings.batch_size)
                for pid in ids:
                    if per_product_expiry.get(pid, 0.0) <= clock.now:
                        result.per_product_calls += 1
                        per_product_expiry[pid] = clock.now + DAY
            result.calls = sandbox.call_count(DETAIL) - before
            results.append(result)
        catalog.close()
    return results


# --- at scale: a warm cache, then page views ---------------------------------------------------

VIEWS_PER_PRODUCT_DAY = 2.5  # the trace above: 5,000 views a day over 2,000 products
PRODUCTS_PER_PAGE = 4  # 1 to 8 products a page


def progress(message: str) -> None:
    print(f"[bench_catalog] {message}", file=sys.stderr, flush=True)


def layout(ids: list[str], pages: int, rng: random.Random) -> list[list[str]]:
    """Every product on one page; pages hold 1..8 products, in random order."""
    shuffled = list(ids)
    rng.shuffle(shuffled)
    cuts = sorted(rng.sample(range(1, len(shuffled)), pages - 1))
    return [shuffled[a:b] for a, b in zip([0, *cuts], [*cuts, len(shuffled)], strict=True)]


def page_views(
    pages: int, zipf: float, count: int, start: float, span: float, rng: random.Random
) -> Iterator[tuple[float, int]]:
    """``count`` page views spread evenly over ``span`` seconds from ``start`` (one in each
    slice, at a random moment of it), pages picked by Zipf(``zipf``) popularity. Made as they
    are replayed: a million views take no memory."""
    cumulative = list(itertools.accumulate(1 / (rank**zipf) for rank in range(1, pages + 1)))
    total = cumulative[-1]
    step = span / count
    for n in range(count):
        page = min(bisect.bisect_left(cumulative, rng.uniform(0, total)), pages - 1)
        yield start + (n + rng.random()) * step, page


class Stopwatch:
    """Wall time inside chosen calls, by part ("index", "gateway", ...); a call made inside
    another timed call of the same part is counted once. Also the rows the index wrote: one
    per product in each batch of views written, one per product fetched."""

    INDEX_METHODS = ("viewed", "flush", "fetched", "top_up", "due", "for_site")

    def __init__(self) -> None:
        self.seconds: defaultdict[str, float] = defaultdict(float)
        self.rows = 0
        self._depth: Counter[str] = Counter()

    def timed(self, part: str, method: Callable[..., Any]) -> Callable[..., Any]:
        def timed(*args: Any, **kwargs: Any) -> Any:
            self._depth[part] += 1
            started = time.perf_counter()
            try:
                return method(*args, **kwargs)
            finally:
                self._depth[part] -= 1
                if self._depth[part] == 0:
                    self.seconds[part] += time.perf_counter() - started

        return timed

    def watch_index(self, index: object) -> None:
        """Time the index's methods and count the rows it writes (its methods replaced on
        this one object, which the catalog's parts all hold)."""
        for name in self.INDEX_METHODS:
            setattr(index, name, self.timed("index", getattr(index, name)))
        fetched = getattr(index, "fetched")  # noqa: B009 (any object: what the catalog holds)
        write_views = getattr(index, "_write_views", None)

        def count_fetched(ns: str, entries: Mapping[str, Any]) -> None:
            self.rows += len(entries)
            fetched(ns, entries)

        setattr(index, "fetched", count_fetched)  # noqa: B010 (an instance's method replaced)
        if write_views is not None:

            def count_views(ns: str, batch: Any) -> Any:
                self.rows += len(batch.views)
                return write_views(ns, batch)

            setattr(index, "_write_views", count_views)  # noqa: B010

    def watch_gateway(self, factory: ClientFactory) -> ClientFactory:
        """``factory``, its clients' product look-ups timed (the sandbox answering, the
        client signing the call and reading the answer)."""

        def make(settings: Settings, hooks: ClientHooks) -> AliExpressClient:
            client = factory(settings, hooks)
            client.product_details = self.timed("gateway", client.product_details)  # type: ignore[method-assign]
            return client

        return make


@dataclass
class Site:
    """A catalog on a fresh disk cache against a sandbox of ``products`` products."""

    catalog: Catalog
    clock: FakeClock
    sandbox: Sandbox
    pages: list[list[str]]
    settings: Settings
    watch: Stopwatch

    def calls(self) -> int:
        return self.sandbox.call_count(DETAIL)


def json_index(stores: CacheStores, clock: Clock, **options: Any) -> ProductIndex:
    """The index as earlier versions kept it: one JSON document in the control store."""
    return StoreIndex(stores.ctl, clock, **options)


def open_site(
    folder: Path, products: int, settings: Settings, seed: int, *, old_index: bool = False
) -> Site:
    sandbox_catalog = big_catalog(products, 0.02, seed)
    clock = FakeClock(START - DAY)
    sandbox = Sandbox(clock=clock, catalog=sandbox_catalog)
    watch = Stopwatch()
    opener = json_index if old_index else open_product_index
    with mock.patch.object(facade, "open_product_index", opener):
        catalog = Catalog(
            settings=lambda: settings,
            stores=open_stores(folder / "cache"),
            client_factory=watch.watch_gateway(client_factory(sandbox.transport())),
            clock=clock,
            sleep=clock.sleep,
            rng=random.Random(seed),
            flush_interval=300.0,
        )
    watch.watch_index(catalog.index)
    catalog.clicks.log.flush = watch.timed("click log", catalog.clicks.log.flush)  # type: ignore[method-assign]
    pages = max(1, products // PRODUCTS_PER_PAGE)
    ids = sandbox_catalog.ids()
    return Site(catalog, clock, sandbox, layout(ids, pages, random.Random(seed)), settings, watch)


def warm_up(site: Site) -> None:
    """Every product fetched once (full batches) at times spread evenly over the day before
    ``START``, as a site that has run for a while has them: expiring spread over a day."""
    ids = [pid for page in site.pages for pid in page]
    size = site.settings.batch_size
    batches = [ids[n : n + size] for n in range(0, len(ids), size)]
    for n, batch in enumerate(batches):
        site.clock.now = START - DAY + n * DAY / len(batches)
        site.catalog.products(batch, purpose=Purpose.PAGE)
    site.catalog.flush()


@dataclass
class Stretch:
    """What replaying a stretch of page views did."""

    views: int = 0
    seconds: float = 0.0
    calls: int = 0
    active: set[str] = field(default_factory=set)
    statuses: Counter[str] = field(default_factory=Counter)
    renewed: int = 0  # distinct products fetched during the stretch
    parts: dict[str, float] = field(default_factory=dict)  # of ``seconds``, by ``Stopwatch``
    index_rows: int = 0  # rows the index wrote (see ``Stopwatch``)

    @property
    def index_seconds(self) -> float:
        return self.parts.get("index", 0.0)

    def per_1000_views(self) -> float:
        return 1000 * self.seconds / self.views

    def index_ms_per_1000_views(self) -> float:
        return 1e6 * self.index_seconds / self.views

    def index_us_per_row(self) -> float:
        return 1e6 * self.index_seconds / self.index_rows if self.index_rows else 0.0


def replay_views(site: Site, views: Iterator[tuple[float, int]], *, label: str) -> Stretch:
    stretch = Stretch()
    before = site.calls()
    parts, written = dict(site.watch.seconds), site.watch.rows
    started = time.perf_counter()
    first = None
    for at, page in views:
        first = at if first is None else first
        site.clock.now = max(site.clock.now, at)
        ids = site.pages[page]
        for answer in site.catalog.products(ids, purpose=Purpose.PAGE):
            stretch.statuses[answer.status] += 1
        stretch.active.update(ids)
        stretch.views += 1
        if stretch.views % 100_000 == 0:
            progress(f"{label}: {stretch.views:,} views, {time.perf_counter() - started:.0f} s")
    site.catalog.flush()
    stretch.seconds = time.perf_counter() - started
    stretch.parts = {
        part: spent - parts.get(part, 0.0) for part, spent in site.watch.seconds.items()
    }
    stretch.index_rows = site.watch.rows - written
    stretch.calls = site.calls() - before
    rows = site.catalog.index.rows(site.catalog.stats().namespace).values()
    stretch.renewed = sum(1 for row in rows if first is not None and row.fetched_at >= first)
    return stretch


def scale_run(
    products: int, views: int, settings: Settings, seed: int, *, old_index: bool = False
) -> Stretch:
    """Replay time of ``views`` page views over a warm cache of ``products`` products."""
    kind = "JSON index" if old_index else "SQLite index"
    with tempfile.TemporaryDirectory() as folder:
        site = open_site(Path(folder), products, settings, seed, old_index=old_index)
        started = time.perf_counter()
        warm_up(site)
        progress(f"{products:,} products ({kind}) warm in {time.perf_counter() - started:.0f} s")
        span = DAY * views / (VIEWS_PER_PRODUCT_DAY * products)
        stream = page_views(len(site.pages), 1.0, views, START, span, random.Random(seed))
        stretch = replay_views(site, stream, label=f"{products:,} products")
        site.catalog.close()
    progress(f"{products:,} products ({kind}): {stretch.per_1000_views():.2f} s per 1,000 views")
    return stretch


@dataclass
class SiteDay:
    products: int
    views: int
    stretch: Stretch
    warm_seconds: float
    rss_before_mib: float
    peak_rss_mib: float
    settings: Settings

    @property
    def floor(self) -> float:
        per_day = DAY / self.settings.cache_ttl
        return math.ceil(len(self.stretch.active) / self.settings.batch_size) * per_day

    @property
    def fresh_per_5000(self) -> float:
        return 5000 * self.stretch.renewed / self.stretch.calls if self.stretch.calls else 0.0


def resident_mib() -> float:
    """This process's resident memory now (Linux), MiB."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def site_day(products: int, views: int, seed: int) -> SiteDay:
    """A real site's day: warm cache, then a day of Zipf page views (see the docstring)."""
    # The quota is not what is measured here: room for the whole day's renewals.
    settings = Settings(rate_limit=1000.0, daily_quota=4 * products // 20 + 1000)
    with tempfile.TemporaryDirectory() as folder:
        site = open_site(Path(folder), products, settings, seed)
        started = time.perf_counter()
        warm_up(site)
        warm = time.perf_counter() - started
        progress(f"site day: {products:,} products warm in {warm:.0f} s")
        before = resident_mib()
        stream = page_views(len(site.pages), 1.0, views, START, DAY, random.Random(seed + 1))
        stretch = replay_views(site, stream, label="site day")
        site.catalog.close()
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return SiteDay(products, views, stretch, warm, before, peak, settings)


def per_1000(part: float, whole: float) -> str:
    return f"{1000 * part / whole:,.1f}" if whole else "-"


def floors(day: DayResult, settings: Settings) -> tuple[float, float]:
    """The floor as defined above, and the floor of this cache policy: products the gateway
    does not return are re-checked every ``negative_ttl`` instead of every ``cache_ttl``.
    """
    per_day = DAY / settings.cache_ttl
    floor = math.ceil(len(day.active) / settings.batch_size) * per_day
    negative = len(day.negative_active)
    renewals = (len(day.active) - negative) * per_day + negative * DAY / settings.negative_ttl
    return floor, math.ceil(renewals / settings.batch_size)


@dataclass(frozen=True)
class Summary:
    calls: float  # per steady day
    views: float
    floor: float
    policy_floor: float
    per_1000_views: float
    per_product: float
    no_cache: float


def summarize(results: list[DayResult], settings: Settings) -> Summary:
    steady = results[1:] or results
    days = len(steady)
    calls = sum(d.calls for d in steady)
    views = sum(d.views for d in steady)
    floor = sum(floors(d, settings)[0] for d in steady)
    policy = sum(floors(d, settings)[1] for d in steady)
    return Summary(
        calls / days,
        views / days,
        floor / days,
        policy / days,
        1000 * calls / views,
        sum(d.per_product_calls for d in steady) / days,
        sum(d.no_cache_calls for d in steady) / days,
    )


def day_table(results: list[DayResult], settings: Settings) -> list[str]:
    lines = [
        "| Day | Page views | Active products (not promotable) | Floor | affsite calls "
        "| calls ÷ floor | calls per 1,000 views | fresh products per 1,000 calls | No cache "
        "| Per-product 24 h cache | per-product ÷ affsite |",
        "|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for number, day in enumerate(results, start=1):
        floor, _ = floors(day, settings)
        label = f"{number} (cold cache)" if number == 1 else str(number)
        ratio = day.per_product_calls / day.calls if day.calls else math.inf
        lines.append(
            f"| {label} | {day.views:,} | {len(day.active):,} ({len(day.negative_active)}) "
            f"| {floor:,.0f} | {day.calls:,} | {day.calls / floor:.2f} "
            f"| {per_1000(day.calls, day.views)} | {per_1000(len(day.fresh_products), day.calls)} "
            f"| {day.no_cache_calls:,} | {day.per_product_calls:,} | {ratio:.1f}× |"
        )
    return lines


def share_text(share: float | None) -> str:
    return "the sandbox's own mix (9 %)" if share is None else f"{share:.0%}"


def report(
    runs: list[tuple[float | None, list[DayResult]]],
    settings: Settings,
    args: argparse.Namespace,
    elapsed: float,
) -> list[str]:
    share, results = runs[0]
    main = summarize(results, settings)
    statuses: Counter[str] = Counter()
    for day in results[1:] or results:
        statuses.update(day.statuses)
    answered = sum(statuses.values())
    shares = ", ".join(
        f"{status} {statuses[status] / answered:.1%}"
        for status in ("HIT", "STALE", "MISS", "NEGATIVE", "FALLBACK")
    )
    lines = [
        f"Trace: {args.products:,} products on {args.pages} pages (1 to 8 products each), "
        f"{args.views:,} page views a day at random times, page popularity Zipf(s={args.zipf}), "
        f"{args.days} days, seed {args.seed}; {share_text(share)} of the products are not "
        "promotable (the gateway does not return them). Replayed with an injected clock through "
        "the real catalog (disk cache, shared limits, batching with top-up, "
        "stale-while-revalidate) against the in-process sandbox, which counts its calls. "
        f"Settings: cache expiration {settings.cache_ttl:,} s (±10 % jitter per call), "
        f"not-promotable answers {settings.negative_ttl:,} s, batch size "
        f"{settings.batch_size}, daily quota {settings.daily_quota:,}. Baselines are counted on "
        "the same views. Floor = ceil(active products / batch size) × refreshes per day.",
        "",
        *day_table(results, settings),
        "",
        f"Steady state (days 2 to {len(results)}): **{main.calls:,.1f} calls a day = "
        f"{main.calls / main.floor:.2f} × the floor** (target ≤ 1.10), "
        f"**{main.per_1000_views:,.1f} calls per 1,000 page views** (no cache: "
        f"{per_1000(main.no_cache, main.views)}), "
        f"**{main.per_product / main.calls:.1f} × fewer calls than the per-product 24 h cache** "
        f"(target ≥ 15). Answers: {shares}. STALE answers were served at once while one "
        "refresh ran; FALLBACK answers would be products the gateway could not be asked for.",
    ]
    if len(runs) > 1:
        lines += [
            "",
            "Share of not-promotable products (they are re-checked every "
            f"{settings.negative_ttl // 3600} h, not every {settings.cache_ttl // 3600} h, so "
            "each costs up to "
            f"{settings.cache_ttl // settings.negative_ttl}× the calls of a promotable one; the "
            "policy floor counts that):",
            "",
            "| Not promotable | Calls a day | ÷ floor | ÷ policy floor | per-product ÷ affsite |",
            "|---|---|---|---|---|",
        ]
        for run_share, run_results in runs:
            summary = summarize(run_results, settings)
            lines.append(
                f"| {share_text(run_share)} | {summary.calls:,.1f} "
                f"| {summary.calls / summary.floor:.2f} "
                f"| {summary.calls / summary.policy_floor:.2f} "
                f"| {summary.per_product / summary.calls:.1f}× |"
            )
    lines += ["", f"These replays took {elapsed:.0f} s."]
    return lines


def scale_report(
    scales: list[tuple[int, Stretch, Stretch | None]], views: int, old_views: int, old_max: int
) -> list[str]:
    lines = [
        "### Replay time per 1,000 page views as the catalog grows",
        "",
        "Each size: a warm cache (every product fetched once in the day before, in full "
        "batches at evenly spread times), then page views of the trace's shape (pages of 1 to 8 "
        f"products, Zipf(1) popularity, {VIEWS_PER_PRODUCT_DAY} views a day per product), "
        f"{views:,} views with the SQLite index and {old_views:,} with the JSON index earlier "
        "versions kept (one document in the control store, read and written whole; up to "
        f"{old_max:,} products: beyond, its warm-up alone takes hours), each in the same "
        "catalog on the same machine, one after the other. *In the index*: wall time inside "
        "the index's methods (view counts, fetches recorded, top-ups, site checks). *Rows*: "
        "rows the index wrote, one per product in each batch of views written (however often "
        "it was viewed in the batch) and one per product fetched; the fewer the products, the "
        "more views of a batch fall on the same row.",
        "",
        "| Products | seconds per 1,000 views | of which in the index | gateway calls per "
        "1,000 views | rows per 1,000 views | µs in the index per row | JSON index: seconds "
        "per 1,000 views | of which in the index | µs per row |",
        "|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for products, stretch, old in scales:
        before = (
            f"{old.per_1000_views():.2f} | {old.index_ms_per_1000_views() / 1000:.2f} "
            f"| {old.index_us_per_row():,.0f}"
            if old is not None
            else "not run | - | -"
        )
        lines.append(
            f"| {products:,} | {stretch.per_1000_views():.2f} "
            f"| {stretch.index_ms_per_1000_views() / 1000:.3f} "
            f"| {1000 * stretch.calls / stretch.views:.1f} "
            f"| {1000 * stretch.index_rows / stretch.views:,.0f} "
            f"| {stretch.index_us_per_row():,.0f} | {before} |"
        )
    return lines


def site_day_report(day: SiteDay) -> list[str]:
    stretch = day.stretch
    answered = sum(stretch.statuses.values())
    shares = ", ".join(
        f"{status} {stretch.statuses[status] / answered:.1%}"
        for status in ("HIT", "STALE", "MISS", "NEGATIVE", "FALLBACK")
    )
    minutes = stretch.seconds / 60
    return [
        "### A real site's day",
        "",
        f"{day.products:,} products on {day.products // PRODUCTS_PER_PAGE:,} pages (1 to 8 "
        f"products each), {day.views:,} page views over one day, page popularity Zipf(1), 2 % "
        "not promotable; the cache warm first (every product fetched once in the day before, "
        f"at evenly spread times: {day.warm_seconds:.0f} s). Daily quota "
        f"{day.settings.daily_quota:,} (not what is measured here), batch size "
        f"{day.settings.batch_size}, cache expiration {day.settings.cache_ttl:,} s. *Kept "
        "fresh*: distinct products a gateway call renewed during the day.",
        "",
        "| Active products | Floor | Gateway calls | ÷ floor | kept fresh | kept fresh per "
        "5,000 calls | replay | per 1,000 views | of which in the index | µs in the index "
        "per row | memory |",
        "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
        f"| {len(stretch.active):,} | {day.floor:,.0f} | {stretch.calls:,} "
        f"| {stretch.calls / day.floor:.2f} | {stretch.renewed:,} | {day.fresh_per_5000:,.0f} "
        f"| {minutes:.1f} min | {stretch.per_1000_views():.2f} s "
        f"| {stretch.index_ms_per_1000_views():.0f} ms | {stretch.index_us_per_row():.0f} "
        f"| {day.rss_before_mib:.0f} MiB before, peak {day.peak_rss_mib:.0f} MiB |",
        "",
        f"Answers: {shares}. Memory is the whole benchmark process (the sandbox's "
        f"{day.products:,} products and the catalog): resident before the day's replay and "
        "its peak (`getrusage`).",
        "",
        "Where the replay's wall time went: "
        + ", ".join(
            f"{share(stretch, part):.0%} {words}"
            for part, words in (
                ("index", "in the product index"),
                (
                    "gateway",
                    "in gateway calls (the sandbox answering, the client signing and reading)",
                ),
                ("click log", "writing the click log (clicks and views per day)"),
            )
        )
        + f"; the other {1 - sum(share(stretch, part) for part in stretch.parts):.0%}: "
        "answering from the process's memory or the data store (products decoded again), "
        "storing fetched entries, counters, and the replay's own loop.",
    ]


def share(stretch: Stretch, part: str) -> float:
    return stretch.parts.get(part, 0.0) / stretch.seconds if stretch.seconds else 0.0


def targets(
    runs: list[tuple[float | None, list[DayResult]]],
    settings: Settings,
    scales: list[tuple[int, Stretch, Stretch | None]],
    day: SiteDay,
) -> list[str]:
    main = summarize(runs[0][1], settings)
    index_per_size = ", ".join(
        f"{products:,}: {stretch.index_ms_per_1000_views():.0f} ms"
        for products, stretch, _ in scales
    )
    old_per_size = ", ".join(
        f"{products:,}: {old.index_ms_per_1000_views():,.0f} ms"
        for products, _, old in scales
        if old is not None
    )
    per_size = ", ".join(
        f"{products:,}: {stretch.per_1000_views():.2f} s" for products, stretch, _ in scales
    )
    stretch = day.stretch
    return [
        "| target | result |",
        "|---|---|",
        f"| gateway calls within 10 % of the floor ({share_text(runs[0][0])} not promotable) "
        f"| {main.calls / main.floor:.2f} × the floor |",
        f"| at least 15 × fewer calls than a per-product 24 h cache without batching "
        f"| {main.per_product / main.calls:.1f} × |",
        f"| a real site's day ({day.products:,} products, {day.views:,} views): gateway calls "
        f"within 10 % of the floor | {stretch.calls:,} calls = {stretch.calls / day.floor:.2f} "
        "× the floor |",
        f"| a real site's day: at least 90,000 distinct products kept fresh per 5,000 calls "
        f"(batch {day.settings.batch_size}) | {day.fresh_per_5000:,.0f} |",
        f"| a real site's day replays in minutes (wall time, peak memory) "
        f"| {stretch.seconds / 60:.1f} min, {day.peak_rss_mib:.0f} MiB |",
        "| time in the product index per 1,000 views, as the products grow (the JSON index "
        f"kept before, side by side) | {index_per_size} (JSON index: {old_per_size}) |",
        f"| replay time per 1,000 views, as the products grow | {per_size} |",
    ]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="a smoke run at small sizes")
    parser.add_argument("--products", type=int, default=2000)
    parser.add_argument("--pages", type=int, default=500)
    parser.add_argument("--views", type=int, default=5000, help="page views a day")
    parser.add_argument("--days", type=int, default=3)
    parser.add_argument("--zipf", type=float, default=1.0)
    parser.add_argument("--ttl", type=int, default=DAY, help="cache expiration, seconds")
    parser.add_argument(
        "--not-promotable",
        type=float,
        default=0.02,
        help="share of products the gateway does not return",
    )
    parser.add_argument(
        "--no-sensitivity",
        action="store_true",
        help="skip the runs with other not-promotable shares",
    )
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument(
        "--scales", default="2000,20000,100000", help="product counts for the replay-time table"
    )
    parser.add_argument("--scale-views", type=int, default=20_000)
    parser.add_argument("--old-index-views", type=int, default=2_000)
    parser.add_argument("--old-index-max", type=int, default=20_000)
    parser.add_argument("--day-products", type=int, default=100_000)
    parser.add_argument("--day-views", type=int, default=1_000_000)
    args = parser.parse_args(argv)
    if args.quick:
        args.products, args.pages, args.views, args.days = 400, 100, 1000, 2
        args.no_sensitivity = True
        args.scales, args.scale_views = "400,2000", 1000
        args.old_index_views, args.old_index_max = 500, 400
        args.day_products, args.day_views = 2000, 10_000
    scale_sizes = [int(size) for size in args.scales.split(",")]

    # The site's day first: the process's peak memory is then its own.
    progress(f"a real site's day: {args.day_products:,} products, {args.day_views:,} views")
    day = site_day(args.day_products, args.day_views, args.seed)

    settings = Settings(cache_ttl=args.ttl, rate_limit=1000.0)
    shares: list[float | None] = [args.not_promotable]
    if not args.no_sensitivity:
        shares += [share for share in (0.0, None) if share != args.not_promotable]
    started = time.perf_counter()
    runs = []
    for share in shares:
        progress(f"trace: {args.days} days, {share_text(share)} not promotable")
        sandbox_catalog = big_catalog(args.products, share, args.seed)
        trace = make_trace(
            sandbox_catalog.ids(),
            pages=args.pages,
            views=args.views,
            days=args.days,
            zipf=args.zipf,
            seed=args.seed,
        )
        runs.append((share, replay(trace, settings, sandbox_catalog)))
    elapsed = time.perf_counter() - started

    scale_settings = Settings(rate_limit=1000.0, daily_quota=1_000_000)
    scales: list[tuple[int, Stretch, Stretch | None]] = []
    for products in scale_sizes:
        stretch = scale_run(products, args.scale_views, scale_settings, args.seed)
        old = None
        if products <= args.old_index_max:
            old = scale_run(
                products, args.old_index_views, scale_settings, args.seed, old_index=True
            )
        scales.append((products, stretch, old))

    command = " ".join([".venv/bin/python bench/bench_catalog.py", *(argv or sys.argv[1:])])
    lines = [
        "## Catalog: gateway calls for simulated days (`bench/bench_catalog.py`)",
        "",
        *targets(runs, settings, scales, day),
        "",
        *report(runs, settings, args, elapsed),
        "",
        *scale_report(scales, args.scale_views, args.old_index_views, args.old_index_max),
        "",
        *site_day_report(day),
        "",
        f"Python {platform.python_version()}, {platform.machine()}, SQLite "
        f"{sqlite3.sqlite_version}; `{command}`.",
    ]
    print("\n".join(lines))
    return 0


if __name__ == "__main__":
    sys.exit(main())
