"""Benchmark: the product index of two machines sharing Redis, as the catalog grows.
Prints a markdown section. Run: ``.venv/bin/python bench/bench_redis_index.py [--quick]``.

Two machines (two catalogs, each with its own folder) share one redis-server started for the
run on 127.0.0.1 and the in-process sandbox gateway; time is an injected clock. For each size,
the cache is warmed as in ``bench_catalog.py`` (every product fetched once in the day before,
in full batches at evenly spread times, half through each machine), then page views of the
same shape (pages of 1 to 8 products, Zipf(1) popularity) go to the two machines in turn, as a
load balancer sends them. Measured: wall time per 1,000 views, and the part of it inside the
product index's methods on both machines (views written, fetches recorded, top-ups, site
checks, and following the other machine through the journal).

Side by side, on the same machine in the same run: the index as each machine keeps it now (its
own SQLite table, following the other's writes through the journal in Redis) and as earlier
versions kept it with Redis (one JSON document per site in Redis, read and written whole).

``--quick`` runs at small sizes (well under a minute; its figures are not quoted). Progress
goes to stderr.
"""

from __future__ import annotations

import argparse
import random
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from unittest import mock

import redis

from affsite.aliexpress.sandbox import Sandbox
from affsite.cache import open_stores
from affsite.catalog import Catalog, Purpose, client_factory, facade
from affsite.catalog.index import open_product_index
from affsite.clock import FakeClock
from affsite.settings import Settings
from bench.bench_catalog import (
    DAY,
    PRODUCTS_PER_PAGE,
    START,
    VIEWS_PER_PRODUCT_DAY,
    Stopwatch,
    big_catalog,
    json_index,
    layout,
    page_views,
)

GROWTH_TARGET = 2.0  # index time per 1,000 views at the largest size ÷ at the smallest


def progress(message: str) -> None:
    print(f"[bench_redis_index] {message}", file=sys.stderr, flush=True)


@contextmanager
def redis_server() -> Iterator[str]:
    """A redis-server of this run's own on a free port (no persistence); its URL."""
    binary = shutil.which("redis-server") or "/usr/bin/redis-server"
    if not Path(binary).exists():
        raise RuntimeError("redis-server is not installed (Debian: apt-get install redis-server)")
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    with tempfile.TemporaryDirectory() as folder:
        process = subprocess.Popen(
            [binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--dir", folder],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        url = f"redis://127.0.0.1:{port}/0"
        try:
            for _ in range(100):  # bounded: about 10 s to start
                try:
                    redis.Redis.from_url(url, socket_timeout=1).ping()
                    break
                except redis.ConnectionError:
                    time.sleep(0.1)
            yield url
        finally:
            process.terminate()
            process.wait(timeout=10)


def run(url: str, products: int, views: int, *, old_index: bool, seed: int) -> tuple[float, float]:
    """Seconds per 1,000 views, and of them in the index, on two machines."""
    settings = Settings(rate_limit=1000.0, daily_quota=1_000_000)
    sandbox_catalog = big_catalog(products, 0.02, seed)
    clock = FakeClock(START - DAY)
    sandbox = Sandbox(clock=clock, catalog=sandbox_catalog)
    watch = Stopwatch()
    prefix = f"bench{random.Random().randrange(10**9)}"
    opener = json_index if old_index else open_product_index
    machines: list[Catalog] = []
    with (
        tempfile.TemporaryDirectory() as folder,
        mock.patch.object(facade, "open_product_index", opener),
    ):
        for name in ("a", "b"):
            catalog = Catalog(
                settings=lambda: settings,
                stores=open_stores(Path(folder) / name, redis_url=url, redis_prefix=prefix),
                client_factory=client_factory(sandbox.transport()),
                clock=clock,
                sleep=clock.sleep,
                rng=random.Random(seed),
                flush_interval=300.0,
            )
            watch.watch_index(catalog.index)
            machines.append(catalog)
        pages = layout(
            sandbox_catalog.ids(), max(1, products // PRODUCTS_PER_PAGE), random.Random(seed)
        )
        ids = [pid for page in pages for pid in page]
        size = settings.batch_size
        batches = [ids[n : n + size] for n in range(0, len(ids), size)]
        for n, batch in enumerate(batches):  # warm: half the products through each machine
            clock.now = START - DAY + n * DAY / len(batches)
            machines[n % 2].products(batch, purpose=Purpose.PAGE)
        for catalog in machines:
            catalog.flush()
        before = watch.seconds.get("index", 0.0)
        started = time.perf_counter()
        span = DAY * views / (VIEWS_PER_PRODUCT_DAY * products)
        stream = page_views(len(pages), 1.0, views, START, span, random.Random(seed))
        for n, (at, page) in enumerate(stream):
            clock.now = max(clock.now, at)
            machines[n % 2].products(pages[page], purpose=Purpose.PAGE)
        for catalog in machines:
            catalog.flush()
        seconds = time.perf_counter() - started
        in_index = watch.seconds.get("index", 0.0) - before
        for catalog in machines:
            catalog.close()
    kind = "one JSON document" if old_index else "followed SQLite index"
    progress(f"{products:,} products, {kind}: {1000 * seconds / views:.2f} s per 1,000 views")
    return 1000 * seconds / views, 1000 * in_index / views


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="a smoke run at small sizes")
    parser.add_argument("--sizes", default="2000,20000")
    parser.add_argument("--views", type=int, default=10_000)
    parser.add_argument("--old-views", type=int, default=2_000)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args(argv)
    if args.quick:
        args.sizes, args.views, args.old_views = "400,2000", 1000, 300
    sizes = [int(size) for size in args.sizes.split(",")]
    rows: list[tuple[int, tuple[float, float], tuple[float, float]]] = []
    with redis_server() as url:
        version = str(redis.Redis.from_url(url).info().get("redis_version", "?"))
        for products in sizes:
            now = run(url, products, args.views, old_index=False, seed=args.seed)
            before = run(url, products, args.old_views, old_index=True, seed=args.seed)
            rows.append((products, now, before))

    growth = rows[-1][1][1] / rows[0][1][1] if rows[0][1][1] else float("inf")
    verdict = "met" if growth <= GROWTH_TARGET else "not met"
    per_size = ", ".join(f"{p:,}: {now[1] * 1000:,.0f} ms" for p, now, _ in rows)
    old_per_size = ", ".join(f"{p:,}: {old[1] * 1000:,.0f} ms" for p, _, old in rows)
    command = " ".join([".venv/bin/python bench/bench_redis_index.py", *(argv or sys.argv[1:])])
    lines = [
        "## Two machines on Redis: the product index as the catalog grows "
        "(`bench/bench_redis_index.py`)",
        "",
        "| target | result |",
        "|---|---|",
        f"| with Redis, time in the product index per 1,000 views grows at most "
        f"{GROWTH_TARGET:.0f} × from {sizes[0]:,} to {sizes[-1]:,} products (two machines) "
        f"| {per_size} ({growth:.2f} ×): {verdict}; one JSON document before: {old_per_size} |",
        "",
        __doc__.split("\n\n")[1].replace("\n", " "),
        "",
        f"{args.views:,} views per size with the followed index, {args.old_views:,} with the "
        "JSON document (its cost per view is steady, and it is slow).",
        "",
        "| Products | seconds per 1,000 views | of which in the index | JSON document: seconds "
        "per 1,000 views | of which in the index |",
        "|---:|---:|---:|---:|---:|",
        *(
            f"| {p:,} | {now[0]:.2f} | {now[1]:.3f} | {old[0]:.2f} | {old[1]:.3f} |"
            for p, now, old in rows
        ),
        "",
        f"Redis {version} on 127.0.0.1; `{command}`.",
    ]
    print("\n".join(lines))
    return 0


if __name__ == "__main__":
    sys.exit(main())
