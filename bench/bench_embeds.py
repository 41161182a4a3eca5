"""Benchmark: warm requests per second of the public embed routes under ``affsite serve``,
against a minimal Flask app handing over the same bytes, side by side in one run.

Prints one markdown section on stdout (its progress on stderr), with a ``| target | result |``
table, as every ``bench/bench_*.py`` does for ``python -m bench``. Run::

    apt-get install wrk          # the load generator (Debian package); optional, see below
    .venv/bin/python bench/bench_embeds.py [--runs 3] [--duration 8]
    .venv/bin/python bench/bench_embeds.py --quick   # a smoke run of under a minute

What it does, on 127.0.0.1 only:

1. Starts ``affsite serve --workers 1 --threads 4`` in demo mode (no credentials: products
   come from the built-in sandbox, in process) with a fresh instance folder, and asks each
   route three times, so the answers measured are warm: cached product, drawn box, whole
   answer kept. A warm answer never reaches the gateway, so demo mode measures what a live
   site's warm path costs.
2. Records each route's answer (status, headers, body) and starts the baseline: a minimal
   Flask app, one route, returning those exact bytes with those exact headers, under the same
   gunicorn settings (``affsite.cli.server.gunicorn_options``: same worker class, one worker,
   same threads, keep-alive, access log). The ratio affsite ÷ baseline is what the app's own
   work costs: 1.0 would be an answer as cheap as handing over bytes already drawn.
3. For every route, each server in turn: 2 s of warm-up, then ``--runs`` runs of
   ``--duration`` seconds with ``wrk -t1 -c32 --latency``; the median run counts. Servers run
   on CPU 1 and the load generator on CPU 0 (``taskset``) when the machine has both.
4. The same ratio in process, through Flask's test client (no server), with and without the
   fast path that hands warm answers over before Flask dispatches (``affsite.web.fast_path``).

``--quick`` makes every step short (no warm-up, one run of 2 s per route and server, a shorter
in-process measurement): a check that everything works, whose figures are not to be quoted.

Without wrk a Python keep-alive load generator (threads, ``http.client``) is used instead; it
saturates long before wrk does, so its ratios read closer to 1 than they are (say so when
quoting them). Every loop is bounded by count and time; servers are started and stopped by
their process id, each on a port that was free and is checked to answer as the expected server.

Routes that are not there yet (a 404 for the route itself) are listed as such and skipped.
"""

from __future__ import annotations

import argparse
import base64
import contextlib
import dataclasses
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import timeit
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Any

from bench import _serving as serving
from bench._serving import (
    Answer,
    Load,
    Server,
    clean_env,
    cpu_seconds,
    cpus,
    fetch,
    free_port,
    pinned,
    start_server,
)

# A product the sandbox has (see affsite.aliexpress.sandbox), and a few for multi-product views.
PRODUCT = "1005004757833857"
GRID = ["1005004757833857", "33006951782", "1005006188820412", "1005005734219905"]
WORKERS = 1
THREADS = 4
WARMUP_SECONDS = 2.0
QUICK_WARMUP_SECONDS = 0.0  # a smoke run: the three requests that warm each route only
TARGET = 0.9
# Set by gunicorn for any app, so not part of "the same headers".
SERVER_HEADERS = {"content-length", "date", "server", "connection", "transfer-encoding"}


@dataclass(frozen=True, kw_only=True)
class Route:
    name: str
    path: str
    note: str = ""


def routes(grid: list[str]) -> list[Route]:
    ids = ",".join(grid)
    return [
        Route(name="iframe, one product", path=f"/embed/iframe/{PRODUCT}"),
        Route(name="JSON API, one product", path=f"/api/v1/products?ids={PRODUCT}"),
        Route(name=f"JSON API, {len(grid)} products", path=f"/api/v1/products?ids={ids}"),
        Route(name="snippet, box", path=f"/api/v1/snippet?ids={PRODUCT}&template=box"),
        Route(
            name=f"snippet, grid of {len(grid)}", path=f"/api/v1/snippet?ids={ids}&template=grid"
        ),
        Route(name="embed page, box", path=f"/embed/box?ids={PRODUCT}"),
        Route(name=f"embed page, grid of {len(grid)}", path=f"/embed/grid?ids={ids}"),
    ]


# --- servers ----------------------------------------------------------------------------------


def comparable_headers(headers: list[tuple[str, str]]) -> list[tuple[str, str]]:
    return [(k, v) for k, v in headers if k.lower() not in SERVER_HEADERS]


def start_affsite(folder: Path, cpu: int | None) -> Server:
    return serving.start_affsite(folder, workers=WORKERS, threads=THREADS, cpu=cpu)


def start_baseline(folder: Path, answers: dict[str, Answer], cpu: int | None) -> Server:
    port = free_port()
    spec = folder / "baseline.json"
    spec.write_text(
        json.dumps(
            {
                path: {
                    "status": a.status,
                    "headers": comparable_headers(a.headers),
                    "body": base64.b64encode(a.body).decode("ascii"),
                }
                for path, a in answers.items()
            }
        )
    )
    command = [sys.executable, str(Path(__file__).resolve()), "--serve-baseline", str(spec)]
    command += ["--bind", f"127.0.0.1:{port}"]
    return start_server("baseline", pinned(command, cpu), clean_env(), port, folder, "baseline")


def serve_baseline(spec_path: str, bind: str) -> int:
    """The baseline server (run in its own process by ``start_baseline``)."""
    from flask import Flask, Response, request
    from gunicorn.app.base import BaseApplication

    from affsite.cli.server import DEFAULT_REQUEST_TIMEOUT, gunicorn_options

    spec = json.loads(Path(spec_path).read_text())
    answers = {
        path: (base64.b64decode(a["body"]), a["status"], [tuple(h) for h in a["headers"]])
        for path, a in spec.items()
    }
    app = Flask("baseline")
    app.config["MAX_CONTENT_LENGTH"] = 1024 * 1024  # as affsite's, for the request reader

    @app.get("/healthz")
    def healthz() -> Response:
        return Response(b'{"server":"baseline"}', mimetype="application/json")

    @app.get("/<path:_path>")
    def recorded(_path: str) -> Response:
        query = request.query_string.decode("latin-1")
        body, status, headers = answers[request.path + ("?" + query if query else "")]
        return Response(body, status, headers)

    options = gunicorn_options(
        app,
        bind=bind,
        workers=WORKERS,
        threads=THREADS,
        timeout=30,
        request_timeout=DEFAULT_REQUEST_TIMEOUT,
    )

    class Baseline(BaseApplication):  # type: ignore[misc]  # gunicorn is untyped
        def load_config(self) -> None:
            for key, value in options.items():
                self.cfg.set(key, value)
            if "control_socket_disable" in self.cfg.settings:
                self.cfg.set("control_socket_disable", True)

        def load(self) -> Flask:
            return app

    Baseline().run()
    return 0


# --- load -------------------------------------------------------------------------------------


# --- in process -------------------------------------------------------------------------------


def in_process(
    paths: list[str], answers: dict[str, Answer], folder: Path, *, number: int, rounds: int
) -> dict[str, tuple[float, float]]:
    """Baseline ÷ affsite CPU time through Flask's test client, no HTTP (the least of
    ``rounds`` rounds of ``number`` requests): a stricter ratio, free of the server's and the
    load generator's costs. Per path: (as served, with the fast path switched off)."""
    from flask import Flask, Response

    from affsite import create_app
    from affsite.web.fast_path import fast_path

    app = create_app({"INSTANCE_PATH": str(folder / "in-process")})
    baseline = Flask("baseline")
    recorded = {p: answers[p] for p in paths}

    @baseline.get("/<path:_path>")
    def replay(_path: str) -> Response:
        from flask import request

        query = request.query_string.decode("latin-1")
        a = recorded[request.path + ("?" + query if query else "")]
        return Response(a.body, a.status, comparable_headers(a.headers))

    def least(get: Any) -> float:
        return min(timeit.repeat(get, number=number, repeat=rounds, timer=time.process_time))

    ratios = {}
    ours, theirs = app.test_client(), baseline.test_client()
    layer = fast_path(app)
    for path in paths:
        for _ in range(3):
            ours.get(path)
        t_theirs = least(partial(theirs.get, path))
        t_ours = least(partial(ours.get, path))
        layer.enabled = False
        try:
            t_flask = least(partial(ours.get, path))
        finally:
            layer.enabled = True
        ratios[path] = (t_theirs / t_ours, t_theirs / t_flask)
    return ratios


# --- the run ----------------------------------------------------------------------------------


@dataclass
class Result:
    route: Route
    affsite: list[Load] = field(default_factory=list)
    baseline: list[Load] = field(default_factory=list)
    bytes: int = 0
    in_process: float | None = None
    in_process_flask: float | None = None  # the fast path switched off

    @staticmethod
    def median(loads: list[Load]) -> Load:
        return sorted(loads, key=lambda load: load.rps)[len(loads) // 2]

    @property
    def ratio(self) -> float:
        """affsite ÷ minimal requests per second: the median of the runs' ratios (each run
        measures both servers back to back, under the same load from the rest of the machine).
        """
        return statistics.median(self.run_ratios())

    def run_ratios(self) -> list[float]:
        return [a.rps / b.rps for a, b in zip(self.affsite, self.baseline, strict=True)]

    @property
    def cpu_ratio(self) -> float:
        """Minimal ÷ affsite CPU time per request (the median of the runs' ratios): the
        throughput ratio a core given to each server alone would show."""
        pairs = zip(self.affsite, self.baseline, strict=True)
        return statistics.median(b.cpu_us / a.cpu_us for a, b in pairs)


def machine() -> str:
    model = "unknown CPU"
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    return f"{model}, {os.cpu_count()} CPUs, {platform.system()} {platform.release()}"


def versions() -> str:
    from importlib.metadata import version

    parts = [f"Python {platform.python_version()}"]
    parts += [f"{name} {version(name)}" for name in ("Flask", "Werkzeug", "gunicorn")]
    return ", ".join(parts)


def wrk_version() -> str:
    if not shutil.which("wrk"):
        return ""
    out = subprocess.run(["wrk", "-v"], capture_output=True, text=True, timeout=10)
    return (out.stdout + out.stderr).split("Copyright")[0].strip()


@contextlib.contextmanager
def servers(
    folder: Path, cpu: int | None, all_routes: list[Route]
) -> Iterator[tuple[Server, Server, list[Route], list[Route], dict[str, Answer]]]:
    print("starting affsite serve", file=sys.stderr)
    affsite = start_affsite(folder, cpu)
    baseline = None
    try:
        present, missing = [], []
        answers: dict[str, Answer] = {}
        for route in all_routes:
            for _ in range(3):  # cold, then warm: fetched, drawn, remembered
                answer = fetch(affsite.url, route.path)
            if answer.status == 404:
                missing.append(route)
                continue
            if answer.status != 200:
                raise RuntimeError(f"{route.path}: HTTP {answer.status}")
            cache = {k.lower(): v for k, v in answer.headers}.get("x-cache", "")
            if cache and cache != "HIT":
                raise RuntimeError(f"{route.path} is not warm (X-Cache: {cache})")
            present.append(route)
            answers[route.path] = answer
        print("starting the minimal Flask app", file=sys.stderr)
        baseline = start_baseline(folder, answers, cpu)
        for route in present:
            theirs = fetch(baseline.url, route.path)
            ours = answers[route.path]
            if theirs.body != ours.body or comparable_headers(theirs.headers) != comparable_headers(
                ours.headers
            ):
                raise RuntimeError(f"the baseline does not answer {route.path} alike")
        yield affsite, baseline, present, missing, answers
    finally:
        if baseline is not None:
            baseline.stop()
        affsite.stop()


def measure(args: argparse.Namespace) -> tuple[list[Result], list[Route], dict[str, Any]]:
    server_cpu, load_cpu = cpus()
    load, use_wrk = serving.choose_load(load_cpu, python=args.python_load)
    info = {
        "generator": wrk_version() if use_wrk else "Python keep-alive threads (no wrk)",
        "pinned": server_cpu is not None,
        "wrk": use_wrk,
    }
    started = os.getloadavg()[0]
    with tempfile.TemporaryDirectory(prefix="bench-embeds-") as tmp:
        folder = Path(tmp)
        with servers(folder, server_cpu, routes(GRID)) as (ours, theirs, present, missing, rec):
            results = [Result(route=route, bytes=len(rec[route.path].body)) for route in present]
            for result in results if args.warmup > 0 else ():
                for server in (ours, theirs):
                    load(server.url + result.route.path, args.warmup, load_cpu)
            for run in range(args.runs):
                for result in results:
                    # Alternate which server goes first, so drift hurts neither side.
                    pair = (ours, theirs) if run % 2 == 0 else (theirs, ours)
                    for server in pair:
                        before = cpu_seconds(server.process.pid)
                        measured = load(server.url + result.route.path, args.duration, load_cpu)
                        used = cpu_seconds(server.process.pid) - before
                        if measured.requests:
                            cpu_us = 1e6 * used / measured.requests
                            measured = dataclasses.replace(measured, cpu_us=cpu_us)
                        side = result.affsite if server is ours else result.baseline
                        side.append(measured)
                    print(
                        f"run {run + 1}/{args.runs} {result.route.name}: "
                        f"{result.affsite[-1].rps:,.0f} / {result.baseline[-1].rps:,.0f} req/s",
                        file=sys.stderr,
                    )
            if not args.no_in_process:
                print("in process, through Flask's test client", file=sys.stderr)
                number, rounds = (200, 3) if args.quick else (500, 5)
                paths = [r.route.path for r in results]
                ratios = in_process(paths, rec, folder, number=number, rounds=rounds)
                for result in results:
                    result.in_process, result.in_process_flask = ratios[result.route.path]
    info["load"] = f"{started:.1f} at the start, {os.getloadavg()[0]:.1f} at the end"
    return results, missing, info


def target_row(results: list[Result], args: argparse.Namespace) -> str:
    """The ``| target | result |`` row: reached when every route's CPU ratio is."""
    target = (
        "warm embed pages, snippets and JSON answers at least "
        f"{TARGET} of a minimal Flask app handing over the same bytes (one worker)"
    )
    if not results:
        return f"| {target} | not measured: no route answered |"
    cpu = [r.cpu_ratio for r in results]
    rps = [r.ratio for r in results]
    verdict = "**reached**" if min(cpu) >= TARGET else "**not reached**"
    result = (
        f"{verdict}: {min(cpu):.2f} to {max(cpu):.2f} by CPU time per request, "
        f"{min(rps):.2f} to {max(rps):.2f} by requests per second ({len(results)} routes)"
    )
    if args.quick:
        result += " (a `--quick` smoke run: not to be quoted)"
    return f"| {target} | {result} |"


def report(
    results: list[Result], missing: list[Route], info: dict[str, Any], args: argparse.Namespace
) -> str:
    pin = (
        "server pinned to CPU 1 and load generator to CPU 0 (`taskset`)"
        if info["pinned"]
        else "not pinned (no taskset or fewer than two CPUs)"
    )
    load = (
        f"`wrk -t1 -c{serving.CONNECTIONS} -d{args.duration}s --latency`"
        if info["wrk"]
        else "a Python keep-alive load generator (8 connections; it saturates before the "
        "servers do, so these ratios read high)"
    )
    command = "bench/bench_embeds.py" + (" --quick" if args.quick else "")
    if not args.quick and (args.runs, args.duration) != (3, 8):
        command += f" --runs {args.runs} --duration {args.duration}"
    lines = [
        "## Warm embeds: requests per second against a minimal Flask app (`bench/bench_embeds.py`)",
        "",
        f"`affsite serve --workers {WORKERS} --threads {THREADS}` in demo mode against a minimal "
        "Flask app (one route handing over the recorded bytes with the same headers) under the "
        "same gunicorn settings (`gunicorn_options`: worker class, one worker, "
        f"{THREADS} threads, keep-alive, access log), on 127.0.0.1; {pin}. Load: {load}, "
        f"{args.warmup:g} s warm-up per route and server (beyond the three requests that warm "
        f"each route), then {args.runs} run(s) each, "
        "alternating which server goes first; each ratio is the median of the runs' ratios. "
        "Every answer is warm (`X-Cache: HIT`, the box already drawn). Target: affsite ÷ "
        f"minimal ≥ {TARGET} for every route. Reproduce with `.venv/bin/python {command}`.",
        "",
        "| target | result |",
        "|---|---|",
        target_row(results, args),
        "",
        "Two ratios per route: requests per second (what a visitor sees, but it moves with "
        "whatever else the machine runs) and CPU time per request (user + system time of each "
        "server's processes from `/proc`, divided by the requests it answered: minimal ÷ "
        "affsite, the requests-per-second ratio a core given to each server alone would show, "
        "and less sensitive to the rest of the machine, though not immune: other processes on "
        "the same cores slow both servers' code). Load average during the run (2 CPUs): "
        f"{info['load']}; on a busy machine rerun before reading much into a few hundredths.",
        "",
        "| route | body | req/s affsite / minimal | **req/s ratio** (per run) "
        "| CPU per request affsite / minimal | **CPU ratio** | p50 / p99 affsite "
        "| p50 / p99 minimal | in process | in process, through Flask |",
        "|---|---:|---:|---|---:|---:|---|---|---:|---:|",
    ]
    for r in results:
        a, b = Result.median(r.affsite), Result.median(r.baseline)
        cpu_a = statistics.median(load.cpu_us for load in r.affsite)
        cpu_b = statistics.median(load.cpu_us for load in r.baseline)
        bad = sum(load.bad for load in r.affsite + r.baseline)
        runs = ", ".join(f"{x:.2f}" for x in r.run_ratios())
        lines.append(
            f"| {r.route.name} `{r.route.path}` | {r.bytes:,} B | {a.rps:,.0f} / {b.rps:,.0f} "
            f"| **{r.ratio:.2f}** ({runs}) | {cpu_a:,.0f} / {cpu_b:,.0f} µs "
            f"| **{r.cpu_ratio:.2f}** | {a.p50_ms:.1f} / {a.p99_ms:.1f} ms "
            f"| {b.p50_ms:.1f} / {b.p99_ms:.1f} ms "
            f"| {_ratio(r.in_process)} | {_ratio(r.in_process_flask)} |"
            + (f" ({bad} errors)" if bad else "")
        )
    if missing:
        lines += ["", "Not measured (the route answers 404 in this version): "]
        lines[-1] += ", ".join(f"`{route.path}`" for route in missing) + "."
    rounds = "3 × 200" if args.quick else "5 × 500"
    lines += [
        "",
        '"In process" is the same ratio through Flask\'s test client (no HTTP, no server; '
        f"CPU time, best of {rounds} requests): stricter, since nothing else dilutes the "
        'app\'s own work. "Through Flask" is that ratio with the fast path switched off: '
        "what a warm answer cost when every request went through Flask's dispatch.",
        "",
        "How a warm answer costs less than the minimal app: `affsite.web.fast_path` keeps the "
        "whole answer (status, headers, body) that Flask gave each warm request, and hands it "
        "over again before Flask's dispatch (request context, routing, hooks, response object) "
        "while the catalog would give the very same answers: the same settings object (one "
        "`stat` of `settings.json`, so a save in any worker shows on the next request), no "
        "cache entry written since (one `stat` of the entries' generation), every product "
        "still fresh by the clock (an answer that ages goes through Flask, which serves it "
        "stale and renews it behind). Each such request is still counted as a view of each "
        "product and as a cache hit; a matching `If-None-Match` gets the 304 Flask gave. The "
        "minimal app pays Flask's dispatch on every request; the gunicorn worker's own work "
        "(parsing, the access log, writing the answer) is the same for both and most of what "
        "is left.",
        "",
        "Earlier trees, by the same CPU ratio: 0.33 to 0.63 when every warm answer read the "
        "disk cache and settings; 0.71 to 0.89 with whole answers kept per process but every "
        "request dispatched by Flask.",
        "",
        f"Machine: {machine()}; {versions()}; load generator: {info['generator']}.",
    ]
    return "\n".join(lines)


def _ratio(value: float | None) -> str:
    return "" if value is None else f"{value:.2f}"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--duration", type=int, default=8, help="seconds per run")
    parser.add_argument(
        "--quick", action="store_true", help="a smoke run of under a minute (not for quoting)"
    )
    parser.add_argument(
        "--python-load", action="store_true", help="use the Python load generator even with wrk"
    )
    parser.add_argument("--no-in-process", action="store_true", help="skip the test-client ratios")
    parser.add_argument("--serve-baseline", metavar="SPEC", help=argparse.SUPPRESS)
    parser.add_argument("--bind", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.serve_baseline:
        return serve_baseline(args.serve_baseline, args.bind)
    if not 1 <= args.runs <= 15 or not 1 <= args.duration <= 120:
        parser.error("--runs must be 1 to 15 and --duration 1 to 120 seconds")
    args.warmup = WARMUP_SECONDS
    if args.quick:
        args.runs, args.duration, args.warmup = 1, 2, QUICK_WARMUP_SECONDS
    started = time.monotonic()
    results, missing, info = measure(args)
    print(report(results, missing, info, args))
    print(f"done in {time.monotonic() - started:.0f} s", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
