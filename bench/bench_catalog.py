"""Benchmark: gateway calls for simulated days of page views, against two baselines.

Prints a markdown section. Run: ``.venv/bin/python bench/bench_catalog.py [--days 3]``.

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
"""

from __future__ import annotations

import argparse
import bisect
import dataclasses
import math
import platform
import random
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from affsite.aliexpress.sandbox import Sandbox, SandboxCatalog
from affsite.aliexpress.sandbox.endpoint import default_catalog
from affsite.cache import open_stores
from affsite.catalog import Catalog, Purpose, client_factory
from affsite.clock import FakeClock
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
) -> str:
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
        "## Catalog: gateway calls for simulated days (`bench/bench_catalog.py`)",
        "",
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
    lines += [
        "",
        f"Python {platform.python_version()}, {platform.machine()}; replays took {elapsed:.0f} s.",
    ]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
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
    args = parser.parse_args(argv)

    settings = Settings(cache_ttl=args.ttl, rate_limit=1000.0)
    shares: list[float | None] = [args.not_promotable]
    if not args.no_sensitivity:
        shares += [share for share in (0.0, None) if share != args.not_promotable]
    started = time.perf_counter()
    runs = []
    for share in shares:
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
    print(report(runs, settings, args, time.perf_counter() - started))
    return 0


if __name__ == "__main__":
    sys.exit(main())
