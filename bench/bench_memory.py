"""Benchmark: resident memory of each ``affsite serve`` worker after warm load over 10,000
distinct products, against the same workers idle, side by side in one run.

Prints a markdown section (progress on stderr). Run::

    .venv/bin/python bench/bench_memory.py [--quick] [--products 10000]

On 127.0.0.1 only: the sandbox gateway is served over HTTP from this process with a catalog of
``--products`` products (the built-in listings cloned under new ids, ``bench._gateway``: the
sandbox itself answers only its 241 built-in products), and ``affsite serve --workers 2
--threads 4`` points at it with a fresh instance folder, a speed limit of 100 calls a second
and a quota that does not run out (what is measured is memory, not the limits).

1. Idle: each worker's memory once both have answered ``/healthz``.
2. Then, in steps (a tenth, a quarter, half, all of the products), the products of the step
   are put on the site's pages (``POST /api/v1/expand``, 100 shortcodes a page, as a CMS
   renders them), and every one is shown by the public embeds twice: its iframe
   (``/embed/iframe/<id>``), and grids of four and JSON answers for four
   (``/embed/grid?ids=…``, ``/api/v1/products?ids=…``). After each step: each worker's
   ``VmRSS`` (resident memory, pages shared with the other processes included) and
   ``RssAnon`` (its own heap and stacks) from ``/proc/<pid>/status``, and its proportional
   (``Pss``) and private (``Private_Clean + Private_Dirty``) share from
   ``/proc/<pid>/smaps_rollup``.

Requests come from 8 threads with keep-alive connections, bounded by count and by time
(``--max-seconds``); the server is stopped by its process id.
"""

from __future__ import annotations

import argparse
import http.client
import sys
import tempfile
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from affsite.web.api_tokens import TOKENS_FILE, ApiTokens
from bench._gateway import Gateway, gateway, product_ids, scaled_catalog
from bench._serving import Server, cpu_seconds, fetch, memory_kib, start_affsite, worker_pids

WORKERS = 2
THREADS = 4
CLIENTS = 8
TARGET_MB = 80.0
PAGE = 100  # products per page put on the site
GROUP = 4  # products per grid and per JSON answer
STEPS = (0.1, 0.25, 0.5, 1.0)


def progress(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def mb(kib: int) -> float:
    return kib * 1024 / 1e6


@dataclass
class Snapshot:
    label: str
    products: int
    requests: int
    workers: list[dict[str, int]]  # per worker: VmRSS, RssAnon, RssFile, Pss, Private_* (KiB)
    master: dict[str, int]
    cpu_s: list[float]  # CPU time each worker has used so far

    def max_rss_mb(self) -> float:
        return max(mb(w["VmRSS"]) for w in self.workers)


@dataclass
class Run:
    snapshots: list[Snapshot] = field(default_factory=list)
    statuses: Counter[int] = field(default_factory=Counter)
    gateway_calls: int = 0
    stopped_early: bool = False
    seconds: float = 0.0


def snapshot(server: Server, pids: list[int], label: str, products: int, requests: int) -> Snapshot:
    return Snapshot(
        label=label,
        products=products,
        requests=requests,
        workers=[memory_kib(pid) for pid in pids],
        master=memory_kib(server.process.pid),
        cpu_s=[cpu_seconds(pid) for pid in pids],
    )


def drive(server: Server, paths: list[str], deadline: float, statuses: Counter[int]) -> int:
    """GET every path once from ``CLIENTS`` keep-alive connections (bounded by ``deadline``);
    the number of requests answered."""
    port = server.port
    shares = [paths[n::CLIENTS] for n in range(CLIENTS)]
    counts = [Counter[int]() for _ in range(CLIENTS)]

    def client(n: int) -> None:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        try:
            for path in shares[n]:
                if time.monotonic() > deadline:
                    break
                try:
                    conn.request("GET", path)
                    response = conn.getresponse()
                    response.read()
                    counts[n][response.status] += 1
                except (OSError, http.client.HTTPException):
                    counts[n][0] += 1  # 0: no answer (a socket error)
                    conn.close()
                    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        finally:
            conn.close()

    threads = [threading.Thread(target=client, args=(n,)) for n in range(CLIENTS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=max(1.0, deadline - time.monotonic()) + 60)
    total = Counter[int]()
    for count in counts:
        total.update(count)
    statuses.update(total)
    return sum(total.values())


def put_on_pages(server: Server, token: str, ids: list[str], statuses: Counter[int]) -> None:
    """The site's pages show ``ids``: each page of ``PAGE`` expanded once, as a CMS does."""
    headers = {"Authorization": f"Bearer {token}", "Content-Type": "text/plain"}
    for start in range(0, len(ids), PAGE):
        text = "\n".join(f"<p>{pid}</p>\n[aliexpress {pid}]" for pid in ids[start : start + PAGE])
        answer = fetch(
            server.url, "/api/v1/expand", method="POST", body=text.encode(), headers=headers
        )
        statuses[answer.status] += 1


def embed_paths(ids: list[str]) -> list[str]:
    paths = [f"/embed/iframe/{pid}" for pid in ids]
    for start in range(0, len(ids), GROUP):
        group = ",".join(ids[start : start + GROUP])
        paths += [f"/embed/grid?ids={group}", f"/api/v1/products?ids={group}"]
    return paths


def start(folder: Path, gw: Gateway) -> tuple[Server, str]:
    instance = folder / "instance"
    instance.mkdir(mode=0o700)
    _, token = ApiTokens(instance / TOKENS_FILE).create("benchmark")
    env = gw.env(AFFSITE_RATE_LIMIT="100", AFFSITE_DAILY_QUOTA="10000000")
    return start_affsite(folder, workers=WORKERS, threads=THREADS, env=env), token


def measure(args: argparse.Namespace) -> Run:
    run = Run()
    started = time.monotonic()
    deadline = started + args.max_seconds
    ids = product_ids(args.products)
    with (
        gateway(scaled_catalog(args.products)) as gw,
        tempfile.TemporaryDirectory(prefix="bench-memory-") as tmp,
    ):
        server, token = start(Path(tmp), gw)
        try:
            pids = worker_pids(server, WORKERS)
            for _ in range(2 * WORKERS * THREADS):
                run.statuses[fetch(server.url, "/healthz").status] += 1
            time.sleep(1.0)  # both workers settle after their first requests
            run.snapshots.append(snapshot(server, pids, "idle", 0, 0))
            done = requests = 0
            for step in STEPS:
                upto = max(1, round(args.products * step))
                chunk = ids[done:upto]
                put_on_pages(server, token, chunk, run.statuses)
                paths = embed_paths(chunk)
                for _ in range(2):  # the first time drawn, the second from memory
                    requests += drive(server, paths, deadline, run.statuses)
                done = upto
                run.snapshots.append(
                    snapshot(server, pids, f"after {done:,} products", done, requests)
                )
                s = run.snapshots[-1]
                progress(
                    f"{done:,} products, {requests:,} requests: worker VmRSS "
                    + " / ".join(f"{mb(w['VmRSS']):.1f}" for w in s.workers)
                    + " MB"
                )
                if time.monotonic() > deadline:
                    run.stopped_early = done < args.products
                    break
            if worker_pids(server, WORKERS) != pids:
                raise RuntimeError("a worker was restarted during the run: memory not comparable")
            run.gateway_calls = gw.calls()
        finally:
            server.stop()
    run.seconds = time.monotonic() - started
    return run


def report(run: Run, args: argparse.Namespace) -> str:
    idle, last = run.snapshots[0], run.snapshots[-1]
    worst = last.max_rss_mb()
    verdict = "met" if worst < TARGET_MB and not run.stopped_early else "**not met**"
    growth = worst - idle.max_rss_mb()
    ok = sum(n for status, n in run.statuses.items() if 200 <= status < 300)
    total = sum(run.statuses.values())
    lines = [
        f"## Memory per worker after warm load over {args.products:,} products "
        "(`bench/bench_memory.py`)",
        "",
        f"`affsite serve --workers {WORKERS} --threads {THREADS}` against the sandbox gateway "
        f"served over HTTP on 127.0.0.1 with a catalog of {args.products:,} products (the "
        "built-in listings cloned under new ids). In steps, the products are put on the "
        f"site's pages (`POST /api/v1/expand`, {PAGE} shortcodes a page) and each is shown "
        f"twice through the public embeds: its iframe, grids of {GROUP} and JSON answers for "
        f"{GROUP}; {CLIENTS} keep-alive clients. Memory from `/proc/<pid>/status` of each "
        "gunicorn worker: `VmRSS` (resident, including pages shared with the other "
        "processes: the figure the target is judged on) and `RssAnon` (anonymous memory: "
        "heap and stacks); from `/proc/<pid>/smaps_rollup`, `PSS` (shared pages split "
        "between the processes sharing them) and private memory (what this worker alone "
        "holds). MB = 10⁶ bytes.",
        "",
        "| target | result |",
        "|---|---|",
        f"| resident memory per worker after warm load over {args.products:,} products under "
        f"{TARGET_MB:.0f} MB | {worst:.1f} MB at most (idle: {idle.max_rss_mb():.1f} MB, "
        f"+{growth:.1f} MB): {verdict} |",
        "",
        "| when | requests | "
        + " | ".join(f"worker {n + 1}: VmRSS (RssAnon)" for n in range(WORKERS))
        + " | PSS / private per worker | CPU used per worker | master VmRSS |",
        "|---|---:|" + "---:|" * WORKERS + "---:|---:|---:|",
    ]
    for s in run.snapshots:
        cells = " | ".join(f"{mb(w['VmRSS']):.1f} ({mb(w['RssAnon']):.1f}) MB" for w in s.workers)
        cpu = " / ".join(f"{c:.1f}" for c in s.cpu_s)
        shares = " ; ".join(
            f"{mb(w['Pss']):.1f} / {mb(w['Private_Clean'] + w['Private_Dirty']):.1f}"
            for w in s.workers
        )
        lines.append(
            f"| {s.label} | {s.requests:,} | {cells} | {shares} MB | {cpu} s "
            f"| {mb(s.master['VmRSS']):.1f} MB |"
        )
    per_k = ""
    if len(run.snapshots) >= 3:
        middle = run.snapshots[-2]
        span = (last.products - middle.products) / 1000
        if span > 0:
            slope = (last.max_rss_mb() - middle.max_rss_mb()) / span
            per_k = (
                f" From {middle.products:,} to {last.products:,} products the larger worker "
                f"grew {slope:+.2f} MB per 1,000 products (per-process memories are bounded, "
                "so growth flattens once they are full)."
            )
    lines += [
        "",
        f"- {ok:,} of {total:,} requests answered 2xx; {run.gateway_calls:,} gateway calls in "
        f"all; {run.seconds:.0f} s.{per_k}",
        "- Both workers were forked from the same master after it loaded the app, so part of "
        "each `VmRSS` is shared with it and with the other worker: the private figure is "
        "about what a further worker adds.",
        "- What bounds it: every per-process memory has a budget in bytes as well as in "
        "entries (`affsite/lru.py`; the fast path, the answer memory, the renderer's "
        "fragments, calls and pages, the warm entries without their raw data), SQLite's "
        "page cache is 16 pages per connection and the files are read, not mapped "
        "(`affsite/cache/opening.py`), the Redis client is loaded only when named, and "
        "`affsite serve` keeps one C heap per worker (`affsite/cli/malloc_arenas.py`).",
    ]
    if run.stopped_early:
        lines.append(
            f"- **Stopped early** at the time limit ({args.max_seconds:.0f} s): "
            f"{last.products:,} of {args.products:,} products shown."
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="a smoke run: 1,000 products")
    parser.add_argument("--products", type=int, default=None, help="distinct products (10,000)")
    parser.add_argument("--max-seconds", type=float, default=None, help="time limit (900)")
    args = parser.parse_args(argv)
    args.products = args.products or (1_000 if args.quick else 10_000)
    args.max_seconds = args.max_seconds or (50.0 if args.quick else 900.0)
    if not 100 <= args.products <= 200_000 or not 10 <= args.max_seconds <= 7200:
        parser.error("--products must be 100 to 200,000 and --max-seconds 10 to 7,200")
    print(report(measure(args), args))
    return 0


if __name__ == "__main__":
    sys.exit(main())
