"""Benchmark: warm embeds through the shipped nginx site (``deploy/nginx/``) in front of
``affsite serve``, against the same nginx handing over the same bytes as a static file, side by
side in one run.

Prints a markdown section (progress on stderr). Run::

    apt-get install -y nginx-light wrk   # Debian packages; wrk is optional (see below)
    .venv/bin/python bench/bench_nginx.py [--quick] [--runs 3] [--duration 8]

What it does, on 127.0.0.1 only:

1. Starts ``affsite serve --workers 2 --threads 4`` (the shipped unit's settings, in demo
   mode: a warm answer never reaches the gateway) and, in front of it, a real nginx with the
   shipped site rendered for 127.0.0.1 (the code the deployment tests use, ``bench._nginx``).
2. Asks each route through nginx until nginx answers it from its cache (``X-Cache-Status:
   HIT``), and records affsite's answer. The same nginx gets one more server that hands over
   each answer's body as a static file, with the same ``Content-Type`` and the same headers
   affsite sends (nginx adds its own ``ETag`` and ``Last-Modified`` to a static file): nginx
   serving a file is what this machine can do at best, the ceiling.
3. For every route: warm-up, then ``--runs`` runs of ``--duration`` seconds each with ``wrk
   -t1 -c32 --latency`` against the cached route, the static copy and, for context, affsite
   directly, alternating which goes first. nginx and affsite run on CPU 1 and wrk on CPU 0
   when there are two CPUs and taskset (nginx and affsite share a core, as they would share a
   small server). The ratio cached ÷ static is the median of the runs' ratios; CPU time per
   request (from /proc) gives the same ratio, less sensitive to the rest of the machine.

Without wrk a Python keep-alive load generator stands in; it saturates long before nginx does,
so its ratios read close to 1 (the section says so). Servers are started and stopped by process
id on free ports; every loop is bounded by count and time.
"""

from __future__ import annotations

import argparse
import contextlib
import dataclasses
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from bench._nginx import NginxFront, nginx_binary, start_nginx
from bench._serving import (
    Answer,
    Load,
    LoadFunction,
    Server,
    choose_load,
    cpu_seconds,
    cpus,
    descendants,
    fetch,
    fetch_url,
    free_ports,
    start_affsite,
)

PRODUCT = "1005004757833857"  # a product of the built-in sandbox
GRID = ["1005004757833857", "33006951782", "1005006188820412", "1005005734219905"]
TARGET = 0.5
PUBLIC_URL = "https://boxes.example"  # the site's public address (AFFSITE_PUBLIC_URL)
# Headers every server writes itself, or nginx writes itself for a static file.
OWN_HEADERS = {
    "content-length",
    "content-type",
    "date",
    "server",
    "connection",
    "keep-alive",
    "transfer-encoding",
    "etag",
    "last-modified",
    "accept-ranges",
    "x-cache-status",
}


@dataclass(frozen=True)
class Route:
    name: str
    path: str


ROUTES = [
    Route("iframe, one product", f"/embed/iframe/{PRODUCT}"),
    Route(f"embed page, grid of {len(GRID)}", f"/embed/grid?ids={','.join(GRID)}"),
    Route("JSON API, one product", f"/api/v1/products?ids={PRODUCT}"),
]


def progress(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def _quoted(value: str) -> str | None:
    """``value`` as an nginx string, or None when it cannot be one as it is ($ is a variable)."""
    if "$" in value:
        return None
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def static_server(port: int, folder: Path, answers: dict[str, Answer]) -> tuple[str, list[str]]:
    """An nginx ``server`` block handing over each answer's body from a file at
    ``/copy/<n>``, with its Content-Type and headers; and the headers it could not copy."""
    folder.mkdir()
    skipped: list[str] = []
    locations = []
    for n, (path, answer) in enumerate(answers.items()):
        body = folder / f"{n}.body"
        body.write_bytes(answer.body)
        lines = [
            f"        location = /copy/{n} {{",
            "            types { }",
            f"            default_type {_quoted(answer.header('Content-Type') or 'text/html')};",
        ]
        for name, value in answer.headers:
            quoted = _quoted(value)
            if name.lower() in OWN_HEADERS:
                continue
            if quoted is None:
                skipped.append(f"{name} of {path}")
                continue
            lines.append(f"            add_header {name} {quoted} always;")
        lines += [f"            alias {body};", "        }"]
        locations += lines
    # No access_log line: requests are logged as on the cached path (same work per request).
    block = [
        "server {",
        f"    listen 127.0.0.1:{port};",
        "    server_name static.invalid;",
        *locations,
        "}",
    ]
    return "\n".join(block) + "\n", skipped


@dataclass
class Stack:
    affsite: Server
    front: NginxFront
    static_port: int
    answers: dict[str, Answer]
    skipped: list[str]

    def url(self, side: str, route: Route) -> str:
        if side == "nginx cache":
            return f"{self.front.plain}{route.path}"
        if side == "static file":
            index = list(self.answers).index(route.path)
            return f"http://127.0.0.1:{self.static_port}/copy/{index}"
        return f"{self.affsite.url}{route.path}"

    def pid(self, side: str) -> int:
        return self.affsite.process.pid if side == "affsite" else self.front.process.pid


def warm_through_nginx(front: NginxFront, route: Route) -> Answer:
    """Ask nginx for ``route`` until it answers from its cache (a few requests at most)."""
    for _ in range(5):
        answer = fetch(front.plain, route.path)
        if answer.status != 200:
            raise RuntimeError(f"{route.path} through nginx: HTTP {answer.status}")
        if answer.header("X-Cache-Status") == "HIT":
            return answer
    raise RuntimeError(f"nginx does not keep {route.path} (X-Cache-Status never HIT)")


def _pin(pid: int, cpu: int | None) -> None:
    if cpu is None:
        return
    for each in [pid, *descendants(pid)]:
        with contextlib.suppress(OSError):
            os.sched_setaffinity(each, {cpu})


@contextlib.contextmanager
def stack(folder: Path, cpu: int | None, routes: list[Route]) -> Iterator[Stack]:
    binary = nginx_binary()
    if binary is None:
        raise RuntimeError("nginx is not installed (Debian: apt-get install -y nginx-light)")
    app_port, static_port = free_ports(2)
    # affsite's own answers first (recorded for the static copy), then nginx in front. As
    # docs/deploy.md says, the public address is set: answers do not depend on the Host header.
    env = {"AFFSITE_PUBLIC_URL": PUBLIC_URL, "AFFSITE_PROXY_FIX": "1"}
    affsite = start_affsite(folder, workers=2, threads=4, cpu=cpu, port=app_port, env=env)
    front = None
    try:
        answers = {}
        for route in routes:
            for _ in range(3):  # cold, then warm: fetched, drawn, remembered
                answer = fetch(affsite.url, route.path)
            if answer.status != 200:
                raise RuntimeError(f"{route.path}: HTTP {answer.status}")
            answers[route.path] = answer
        server, skipped = static_server(static_port, folder / "static", answers)
        front = start_nginx(binary, folder, upstream=f"127.0.0.1:{app_port}", extra_servers=server)
        _pin(front.process.pid, cpu)
        built = Stack(affsite, front, static_port, answers, skipped)
        for route in routes:
            kept = warm_through_nginx(front, route)
            copy = fetch_url(built.url("static file", route))
            if kept.body != answers[route.path].body or copy.body != kept.body:
                raise RuntimeError(f"{route.path}: nginx's copies differ from affsite's answer")
        yield built
    finally:
        if front is not None:
            front.stop()  # first: it holds keep-alive connections to affsite
        affsite.stop()


SIDES = ("nginx cache", "static file", "affsite")


@dataclass
class Result:
    route: Route
    size: int
    loads: dict[str, list[Load]] = field(default_factory=lambda: {s: [] for s in SIDES})

    def ratios(self, over: str = "static file") -> list[float]:
        pairs = zip(self.loads["nginx cache"], self.loads[over], strict=True)
        return [a.rps / b.rps for a, b in pairs]

    def cpu_ratio(self) -> float:
        pairs = zip(self.loads["nginx cache"], self.loads["static file"], strict=True)
        return statistics.median(b.cpu_us / a.cpu_us for a, b in pairs)

    def median(self, side: str) -> Load:
        return sorted(self.loads[side], key=lambda load: load.rps)[len(self.loads[side]) // 2]


def measure_one(
    built: Stack, side: str, route: Route, load: LoadFunction, seconds: float, cpu: int | None
) -> Load:
    pid = built.pid(side)
    before = cpu_seconds(pid)
    measured = load(built.url(side, route), seconds, cpu)
    used = cpu_seconds(pid) - before
    if measured.requests:
        measured = dataclasses.replace(measured, cpu_us=1e6 * used / measured.requests)
    return measured


@dataclass
class Info:
    wrk: bool
    pinned: bool
    load: str = ""
    skipped: list[str] = field(default_factory=list)
    statuses: set[str] = field(default_factory=set)  # of each route after its runs


def measure(args: argparse.Namespace) -> tuple[list[Result], Info]:
    server_cpu, load_cpu = cpus()
    load, uses_wrk = choose_load(load_cpu, python=args.python_load)
    routes = ROUTES[:1] if args.quick else ROUTES
    info = Info(wrk=uses_wrk, pinned=server_cpu is not None)
    started = os.getloadavg()[0]
    results = []
    with (
        tempfile.TemporaryDirectory(prefix="bench-nginx-") as tmp,
        stack(Path(tmp), server_cpu, routes) as built,
    ):
        info.skipped = built.skipped
        for route in routes:
            result = Result(route, len(built.answers[route.path].body))
            warm_through_nginx(built.front, route)  # kept fresh for this route's runs
            for side in SIDES:
                load(built.url(side, route), args.warmup, load_cpu)
            for run in range(args.runs):
                order = SIDES if run % 2 == 0 else tuple(reversed(SIDES))
                for side in order:
                    measured = measure_one(built, side, route, load, args.duration, load_cpu)
                    result.loads[side].append(measured)
                progress(
                    f"run {run + 1}/{args.runs} {route.name}: "
                    + ", ".join(f"{s} {result.loads[s][-1].rps:,.0f}" for s in SIDES)
                    + " req/s"
                )
            info.statuses.add(fetch(built.front.plain, route.path).header("X-Cache-Status") or "")
            results.append(result)
    info.load = f"{started:.1f} at the start, {os.getloadavg()[0]:.1f} at the end"
    return results, info


def report(results: list[Result], info: Info, args: argparse.Namespace) -> str:
    # Judged by CPU time per request: requests per second move with the rest of the machine.
    cpu = [r.cpu_ratio() for r in results]
    rps = [statistics.median(r.ratios()) for r in results]
    verdict = "met" if min(cpu) >= TARGET else "**not met**"
    per_route = (
        f"{_span(cpu)} by nginx's CPU time per request, {_span(rps)} by requests per second "
        f"({len(results)} route{'s' if len(results) > 1 else ''}): {verdict}"
    )
    generator = (
        f"`wrk -t1 -c32 -d{args.duration}s --latency`"
        if info.wrk
        else "a Python keep-alive load generator (8 connections; it saturates before nginx "
        "does, so these ratios read close to 1)"
    )
    pin = (
        "nginx and affsite pinned to CPU 1, the load generator to CPU 0 (`taskset`)"
        if info.pinned
        else "nothing pinned (no taskset or fewer than two CPUs)"
    )
    lines = [
        "## Warm embeds through nginx: the shipped site against a static file "
        "(`bench/bench_nginx.py`)",
        "",
        "A real nginx with the shipped site (`deploy/nginx/`, rendered for 127.0.0.1 as the "
        "deployment tests do) in front of `affsite serve --workers 2 --threads 4` in demo mode; "
        "every answer measured is kept by nginx (`X-Cache-Status: HIT`). The same nginx "
        "(one worker) also hands over each answer's body as a static file with the same "
        "headers: the ceiling on this machine. affsite answering directly is there for "
        f"context. {pin}. Load: {generator}, {args.warmup:g} s warm-up per route and server, "
        f"then {args.runs} run{'s' if args.runs > 1 else ''} each, alternating the order; "
        "ratios are medians of the "
        "runs' ratios. Two ratios: requests per second (what a visitor sees, but it moves "
        "with whatever else the machine runs) and nginx's CPU time per request (user + "
        "system time of its processes from `/proc`, static ÷ cache: what one core given to "
        "nginx alone would show; the target is judged by it). Load average (2 CPUs): "
        f"{info.load}.",
        "",
        "| target | result |",
        "|---|---|",
        f"| warm embeds through the shipped nginx site at least {TARGET} of nginx serving the "
        f"same bytes as a static file | {per_route} |",
        "",
        "| route | body | req/s: nginx cache / static file / affsite | **cache ÷ static** "
        "(per run) | CPU per request: cache / static | CPU ratio | p50 / p99: cache | "
        "p50 / p99: static | cache ÷ affsite |",
        "|---|---:|---:|---|---:|---:|---|---|---:|",
    ]
    for r in results:
        cache, static, app = (r.median(side) for side in SIDES)
        runs = ", ".join(f"{x:.2f}" for x in r.ratios())
        over_app = statistics.median(r.ratios("affsite"))
        bad = sum(load.bad for side in SIDES for load in r.loads[side])
        lines.append(
            f"| {r.route.name} `{r.route.path}` | {r.size:,} B | {cache.rps:,.0f} / "
            f"{static.rps:,.0f} / {app.rps:,.0f} | **{statistics.median(r.ratios()):.2f}** "
            f"({runs}) | {statistics.median(x.cpu_us for x in r.loads['nginx cache']):,.0f} / "
            f"{statistics.median(x.cpu_us for x in r.loads['static file']):,.0f} µs "
            f"| {r.cpu_ratio():.2f} | {cache.p50_ms:.2f} / {cache.p99_ms:.2f} ms "
            f"| {static.p50_ms:.2f} / {static.p99_ms:.2f} ms | {over_app:.0f} × |"
            + (f" ({bad} errors)" if bad else "")
        )
    statuses = sorted(info.statuses)
    lines += [
        "",
        "- What the cached path pays over the file: the cache lookup (key, shared-memory "
        "zone, the body from the cache file), the `X-Cache-Status` header and the upstream "
        "bookkeeping of a proxied location.",
        f"- After each route's runs nginx still answered it with `X-Cache-Status: "
        f"{', '.join(statuses)}` (affsite's `Cache-Control` lets it keep a box 5 minutes, "
        "then serve it stale while one request renews it).",
    ]
    if info.skipped:
        lines.append(
            "- Headers the static copy could not carry (an nginx string cannot hold `$`): "
            + ", ".join(f"`{s}`" for s in info.skipped)
            + "."
        )
    return "\n".join(lines)


def _span(values: list[float]) -> str:
    low, high = min(values), max(values)
    return f"{low:.2f}" if f"{low:.2f}" == f"{high:.2f}" else f"{low:.2f} to {high:.2f}"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="a smoke run: one route, short")
    parser.add_argument("--runs", type=int, default=None, help="runs per route (3)")
    parser.add_argument("--duration", type=int, default=None, help="seconds per run (8)")
    parser.add_argument("--python-load", action="store_true", help="never use wrk")
    args = parser.parse_args(argv)
    args.runs = args.runs or (1 if args.quick else 3)
    args.duration = args.duration or (2 if args.quick else 8)
    args.warmup = 1.0 if args.quick else 2.0
    if not 1 <= args.runs <= 15 or not 1 <= args.duration <= 60:
        parser.error("--runs must be 1 to 15 and --duration 1 to 60 seconds")
    started = time.monotonic()
    results, info = measure(args)
    progress(f"measured in {time.monotonic() - started:.0f} s")
    print(report(results, info, args))
    return 0


if __name__ == "__main__":
    sys.exit(main())
