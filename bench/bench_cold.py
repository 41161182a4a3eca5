"""Benchmark: gateway calls and waiting time for cold pages, with the gateway a realistic
distance away, under ``affsite serve`` with two workers.

Prints a markdown section (progress on stderr). Run::

    .venv/bin/python bench/bench_cold.py [--quick] [--latency 0.2] [--runs 3]

On 127.0.0.1 only: the sandbox gateway is served over HTTP from this process with every call
taking ``--latency`` seconds more (its ``slow`` fault), and ``affsite serve --workers 2
--threads 4`` (the shipped unit's settings) is pointed at it with a fresh instance folder and
an API token. A page is an article of 100 ``[aliexpress ID]`` shortcodes (paragraphs between
them) sent to ``POST /api/v1/expand``, as a site's CMS renders a page of 100 products: every
product of the text comes from one catalog request. Two measures, each on products nobody
asked for before:

* a cold page: one request; the gateway calls it costs (target ceil(100 / batch size)) and
  how long it takes, against the floor for batches asked one after the other within the
  speed limit;
* 50 concurrent cold requests for one page: all sent at once (a barrier), across both workers;
  the calls they cost together (target: still one per batch, i.e. single-flight across
  processes) and whether every answer is complete (the same HTML as the warm page).

Both run at the default speed limit (1 call a second) and, for comparison, at 10 calls a
second. Every loop is bounded by count and time; the server is stopped by its process id.
"""

from __future__ import annotations

import argparse
import json
import math
import statistics
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from affsite.aliexpress import MAX_BATCH_SIZE
from affsite.catalog import Purpose
from affsite.catalog.policy import RULES
from affsite.web.api_tokens import TOKENS_FILE, ApiTokens
from bench._gateway import Gateway, gateway, product_ids, scaled_catalog
from bench._serving import Answer, Server, cpu_seconds, fetch, start_affsite, worker_pids

WORKERS = 2
THREADS = 4
BATCH = 20  # the default batch size
DEFAULT_RATE = 1.0  # the default speed limit, calls a second
RATES = (DEFAULT_RATE, 10.0)
REQUEST_TIMEOUT = 60.0


def progress(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def article(ids: list[str]) -> bytes:
    """A page as a CMS holds it: a paragraph, then a shortcode, for every product."""
    count = len(ids)
    parts = [f"<p>Product {n + 1} of {count}.</p>\n[aliexpress {pid}]" for n, pid in enumerate(ids)]
    return "\n".join(parts).encode()


@dataclass
class Expander:
    server: Server
    token: str

    def expand(self, text: bytes) -> tuple[Answer, float]:
        headers = {"Authorization": f"Bearer {self.token}", "Content-Type": "text/plain"}
        started = time.perf_counter()
        answer = fetch(
            self.server.url,
            "/api/v1/expand",
            method="POST",
            body=text,
            headers=headers,
            timeout=REQUEST_TIMEOUT,
        )
        return answer, time.perf_counter() - started


def html_of(answer: Answer) -> str:
    if answer.status != 200:
        return ""
    html: str = json.loads(answer.body).get("html", "")
    return html


UNAVAILABLE = "product-box-unavailable"  # the class of a box standing in for a product


def drawn(html: str, ids: list[str]) -> int:
    """How many of ``ids`` the page shows as a product (not as an "unavailable" box)."""
    return sum(f'data-product-id="{pid}"' in html for pid in ids) - html.count(UNAVAILABLE)


@dataclass
class Cold:
    calls: int
    seconds: float
    drawn: int
    warm_seconds: float


@dataclass
class Burst:
    calls: int
    seconds: list[float]
    complete: int
    statuses: list[int]
    worker_cpu_ms: list[float]
    drawn: list[int]  # products each answer showed


@dataclass
class Setting:
    rate: float
    cold: list[Cold] = field(default_factory=list)
    bursts: list[Burst] = field(default_factory=list)


def cold_page(expander: Expander, gw: Gateway, ids: list[str]) -> Cold:
    text = article(ids)
    before = gw.calls()
    answer, seconds = expander.expand(text)
    calls = gw.calls() - before
    _, warm = expander.expand(text)
    return Cold(calls=calls, seconds=seconds, drawn=drawn(html_of(answer), ids), warm_seconds=warm)


def burst(expander: Expander, gw: Gateway, ids: list[str], concurrent: int) -> Burst:
    text = article(ids)
    workers = worker_pids(expander.server, WORKERS)
    cpu_before = [cpu_seconds(pid) for pid in workers]
    together = threading.Barrier(concurrent)
    before = gw.calls()

    def visit(_n: int) -> tuple[Answer, float]:
        together.wait(timeout=30)
        return expander.expand(text)

    with ThreadPoolExecutor(max_workers=concurrent) as pool:
        answers = list(pool.map(visit, range(concurrent), timeout=REQUEST_TIMEOUT + 30))
    calls = gw.calls() - before
    warm = html_of(expander.expand(text)[0])
    cpu_after = [cpu_seconds(pid) for pid in workers]
    return Burst(
        calls=calls,
        seconds=[seconds for _, seconds in answers],
        complete=sum(bool(warm) and html_of(answer) == warm for answer, _ in answers),
        statuses=[answer.status for answer, _ in answers],
        worker_cpu_ms=[1000 * (b - a) for a, b in zip(cpu_before, cpu_after, strict=True)],
        drawn=[drawn(html_of(answer), ids) for answer, _ in answers],
    )


def start(folder: Path, gw: Gateway, rate: float, warm_up: str) -> Expander:
    """``affsite serve`` with an API token, each worker past its first page (templates
    loaded, connections open: a running site's state) and the speed limit's allowance full."""
    instance = folder / "instance"
    instance.mkdir(mode=0o700)
    _, token = ApiTokens(instance / TOKENS_FILE).create("benchmark")
    env = gw.env(AFFSITE_RATE_LIMIT=f"{rate:g}", AFFSITE_BATCH_SIZE=str(BATCH))
    expander = Expander(start_affsite(folder, workers=WORKERS, threads=THREADS, env=env), token)
    text = article([warm_up])
    with ThreadPoolExecutor(max_workers=WORKERS * THREADS) as pool:
        list(pool.map(lambda _n: expander.expand(text), range(4 * WORKERS * THREADS)))
    time.sleep(max(1.0, 1 / rate) + 0.1)  # the speed limiter's bucket fills up again
    return expander


def run_setting(gw: Gateway, rate: float, pages: list[int], args: argparse.Namespace) -> Setting:
    """A fresh ``affsite serve`` at speed limit ``rate``: a cold page and a burst per run,
    each on its own page of ``args.products`` new products (``pages`` numbers them; the
    product after the last page warms the workers up)."""
    setting = Setting(rate)
    with tempfile.TemporaryDirectory(prefix="bench-cold-") as tmp:
        warm_up = product_ids(1, (pages[-1] + 1) * args.products)[0]
        expander = start(Path(tmp), gw, rate, warm_up)
        try:
            for run in range(args.runs):
                ids = product_ids(args.products, pages[2 * run] * args.products)
                cold = cold_page(expander, gw, ids)
                setting.cold.append(cold)
                label = f"{rate:g} calls/s, run {run + 1}"
                progress(f"{label}: cold page {cold.calls} calls, {cold.seconds:.2f} s")
                ids = product_ids(args.products, pages[2 * run + 1] * args.products)
                b = burst(expander, gw, ids, args.concurrent)
                setting.bursts.append(b)
                progress(
                    f"{label}: {args.concurrent} at once, {b.calls} calls, "
                    f"{b.complete} complete (fewest products shown {min(b.drawn)}), "
                    f"slowest {max(b.seconds):.2f} s"
                )
        finally:
            expander.server.stop()
    return setting


def measure(args: argparse.Namespace) -> list[Setting]:
    rates = RATES[:1] if args.quick else RATES
    per_setting = 2 * args.runs
    catalog = scaled_catalog((len(rates) * per_setting + 1) * args.products)
    with gateway(catalog, latency=args.latency) as gw:
        return [
            run_setting(gw, rate, list(range(n * per_setting, (n + 1) * per_setting)), args)
            for n, rate in enumerate(rates)
        ]


def floor_seconds(calls: int, latency: float, rate: float) -> float:
    """Batches asked one after another, each ``latency`` long, no closer than 1/rate apart."""
    return latency + max(0, calls - 1) * max(latency, 1 / rate)


def report(settings: list[Setting], args: argparse.Namespace) -> str:
    target = math.ceil(args.products / BATCH)
    n, k = args.products, args.concurrent
    cold_calls = [c.calls for s in settings for c in s.cold]
    burst_calls = [b.calls for s in settings for b in s.bursts]
    complete = sum(b.complete for s in settings for b in s.bursts)
    answers = sum(len(b.statuses) for s in settings for b in s.bursts)
    both = all(min(b.worker_cpu_ms) > 0 for s in settings for b in s.bursts)
    runs = f"{args.runs} run" + ("s" if args.runs > 1 else "")
    wait = RULES[Purpose.PAGE].lock_wait
    fewest = min(d for s in settings for b in s.bursts for d in b.drawn)
    short = ""
    if complete < answers and fewest < n:
        short = (
            f" (the others showed {fewest} of the {n} products at worst, the rest as "
            "'unavailable' boxes: a page waits for another worker's fetch at most "
            f"{wait:g} s)"
        )
    elif complete < answers:
        short = " (the others showed every product but differed from the warm page)"

    def verdict(calls: list[int]) -> str:
        return "met" if max(calls) <= target else "**not met**"

    def latencies() -> str:
        return ", ".join(
            f"{statistics.median(c.seconds for c in s.cold):.2f} s at {s.rate:g} call/s"
            for s in settings
        )

    lines = [
        f"## Cold pages: gateway calls and waiting time, the gateway {args.latency * 1000:.0f} ms "
        "away (`bench/bench_cold.py`)",
        "",
        f"`affsite serve --workers {WORKERS} --threads {THREADS}` against the sandbox gateway "
        f"served over HTTP on 127.0.0.1, every call {args.latency * 1000:.0f} ms long (its "
        f"`slow` fault, standing for the distance to the real gateway); batch size {BATCH}. A "
        f"page is an article of {n} `[aliexpress ID]` shortcodes sent to `POST /api/v1/expand`, "
        f"as a site's CMS renders a page of {n} products; every page holds products nobody asked "
        f"for before. {runs} per speed limit (the shared limit on gateway calls a "
        "second; 1 is the default). The floor is the time of the batches asked one after "
        "another, each a call long and no closer together than the speed limit allows.",
        "",
        "| target | result |",
        "|---|---|",
        f"| a cold page of {n} products costs ceil({n} / {BATCH}) = {target} gateway calls "
        f"| {_calls(cold_calls)}: {verdict(cold_calls)}; the page took {latencies()} |",
        f"| {k} concurrent cold requests for one page of {n}, across {WORKERS} workers, cost "
        f"one call per batch ({target}) | {_calls(burst_calls)} for the {k} requests together: "
        f"{verdict(burst_calls)}; {complete:,} of {answers:,} answers complete{short} |",
        "",
        f"| speed limit | cold page: calls | cold page: time (floor) | warm page: time "
        f"| {k} at once: calls | complete answers | time p50 / slowest | CPU per worker |",
        "|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for s in settings:
        cold_s = statistics.median(c.seconds for c in s.cold)
        floor = floor_seconds(target, args.latency, s.rate)
        warm = statistics.median(c.warm_seconds for c in s.cold)
        every = sorted(t for b in s.bursts for t in b.seconds)
        cpu = " / ".join(
            f"{statistics.median(b.worker_cpu_ms[w] for b in s.bursts):,.0f}"
            for w in range(WORKERS)
        )
        done = sum(b.complete for b in s.bursts)
        total = sum(len(b.statuses) for b in s.bursts)
        lines.append(
            f"| {s.rate:g} call/s | {_per_run([c.calls for c in s.cold])} | {cold_s:.2f} s "
            f"({floor:.2f} s) | {warm * 1000:.0f} ms | {_per_run([b.calls for b in s.bursts])} "
            f"| {done} / {total} | {every[len(every) // 2]:.2f} / {every[-1]:.2f} s "
            f"| {cpu} ms |"
        )
    drawn_all = all(c.drawn == n for s in settings for c in s.cold)
    statuses = sorted({code for s in settings for b in s.bursts for code in b.statuses})
    lines += [
        "",
        f"- Every cold page showed all {n} products: {'yes' if drawn_all else '**no**'}. "
        f"Statuses of the concurrent requests: {', '.join(map(str, statuses))}.",
        f"- Times are medians of the runs. The speed limit spaces calls {1 / settings[0].rate:g} "
        f"s apart at its default, so a cold page of {target} batches waits about "
        f"{(target - 1) / settings[0].rate:g} s for it; a site expecting many cold pages at "
        "once can raise it (within what its AliExpress account allows).",
        "- CPU per worker is each worker's CPU time during one burst (median): both workers "
        f"answered {'in every run' if both else '**not in every run**'}, so the one fetch "
        "per batch held across processes, not only across threads of one process.",
        f"- A batch holds at most {BATCH} ids by default ({MAX_BATCH_SIZE} at most); "
        "a page whose product count is not a multiple of it fills its last call with "
        "other products due for renewal.",
    ]
    return "\n".join(lines)


def _calls(calls: list[int]) -> str:
    if len(calls) == 1:
        return f"{calls[0]} calls"
    if min(calls) == max(calls):
        return f"{calls[0]} calls in each of {len(calls)} runs"
    return f"{min(calls)} to {max(calls)} calls over {len(calls)} runs"


def _per_run(values: list[int]) -> str:
    return ", ".join(str(v) for v in values)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="a smoke run: smaller and shorter")
    parser.add_argument("--latency", type=float, default=0.2, help="seconds per gateway call")
    parser.add_argument("--runs", type=int, default=None, help="runs per speed limit (3)")
    parser.add_argument("--products", type=int, default=None, help="products per page (100)")
    parser.add_argument("--concurrent", type=int, default=None, help="requests at once (50)")
    args = parser.parse_args(argv)
    args.runs = args.runs or (1 if args.quick else 3)
    args.products = args.products or (40 if args.quick else 100)
    args.concurrent = args.concurrent or (10 if args.quick else 50)
    if not 0 <= args.latency <= 5 or not 1 <= args.runs <= 20:
        parser.error("--latency must be 0 to 5 seconds and --runs 1 to 20")
    if not 1 <= args.products <= 1000 or not 2 <= args.concurrent <= 200:
        parser.error("--products must be 1 to 1,000 and --concurrent 2 to 200")
    print(report(measure(args), args))
    return 0


if __name__ == "__main__":
    sys.exit(main())
