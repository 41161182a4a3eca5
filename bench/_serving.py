"""Servers and load for the benchmarks, on 127.0.0.1 only.

Every server is a child process started here on a port that was free (checked again before
starting), waited for until it answers as the expected server, and stopped by its process id,
never by name. Load comes from wrk when it is installed (pinned with ``taskset`` when there are
two CPUs to split), else from Python threads that keep their connections alive; every loop is
bounded by count and by time.
"""

from __future__ import annotations

import contextlib
import http.client
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.parse
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
START_SECONDS = 30.0
CONNECTIONS = 32


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def free_ports(count: int) -> list[int]:
    """``count`` distinct free ports: held open together while they are chosen, as separate
    ``free_port`` calls may be given the same port twice."""
    with contextlib.ExitStack() as stack:
        socks = [stack.enter_context(socket.socket()) for _ in range(count)]
        for sock in socks:
            sock.bind(("127.0.0.1", 0))
        return [int(sock.getsockname()[1]) for sock in socks]


def clean_env(**extra: str) -> dict[str, str]:
    """This environment without any ``AFFSITE_*`` variable (a developer's credentials must
    never reach a benchmark), with this checkout importable, plus ``extra``."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("AFFSITE_")}
    env["PYTHONPATH"] = str(ROOT) + os.pathsep + env.get("PYTHONPATH", "")
    env.update(extra)
    return env


def cpus() -> tuple[int | None, int | None]:
    """(server CPU, load CPU): 1 and 0 when taskset is there and both CPUs are ours."""
    available = os.sched_getaffinity(0) if hasattr(os, "sched_getaffinity") else set()
    if shutil.which("taskset") and {0, 1} <= available:
        return 1, 0
    return None, None


def pinned(command: list[str], cpu: int | None) -> list[str]:
    return command if cpu is None else ["taskset", "-c", str(cpu), *command]


# --- requests ---------------------------------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class Answer:
    status: int
    headers: list[tuple[str, str]]
    body: bytes

    def header(self, name: str) -> str | None:
        wanted = name.lower()
        return next((v for k, v in self.headers if k.lower() == wanted), None)


def fetch(
    base: str,
    path: str,
    *,
    method: str = "GET",
    body: bytes | None = None,
    headers: dict[str, str] | None = None,
    timeout: float = 30.0,
) -> Answer:
    """One request on a new connection to ``base`` (an http://127.0.0.1:port URL)."""
    parts = urllib.parse.urlsplit(base)
    conn = http.client.HTTPConnection(parts.hostname or "127.0.0.1", parts.port, timeout=timeout)
    try:
        conn.request(method, path, body=body, headers=headers or {})
        response = conn.getresponse()
        return Answer(status=response.status, headers=response.getheaders(), body=response.read())
    finally:
        conn.close()


def fetch_url(url: str, timeout: float = 30.0) -> Answer:
    """``GET url`` (a whole http://127.0.0.1:port/path?query URL)."""
    parts = urllib.parse.urlsplit(url)
    path = (parts.path or "/") + ("?" + parts.query if parts.query else "")
    return fetch(f"{parts.scheme}://{parts.netloc}", path, timeout=timeout)


# --- processes --------------------------------------------------------------------------------


def descendants(pid: int) -> list[int]:
    """``pid``'s children, grandchildren and so on (from /proc; bounded)."""
    found: list[int] = []
    todo = [pid]
    for _ in range(10_000):
        if not todo:
            break
        current = todo.pop()
        with contextlib.suppress(OSError):
            for task in Path(f"/proc/{current}/task").iterdir():
                children = [int(c) for c in (task / "children").read_text().split()]
                found.extend(children)
                todo.extend(children)
    return found


def cpu_seconds(pid: int) -> float:
    """CPU time (user + system) of process ``pid`` and its descendants, from /proc."""
    total = 0
    for current in [pid, *descendants(pid)]:
        with contextlib.suppress(OSError, IndexError, ValueError):
            fields = Path(f"/proc/{current}/stat").read_text().rsplit(")", 1)[1].split()
            total += int(fields[11]) + int(fields[12])  # utime, stime (fields 14 and 15)
    return total / os.sysconf("SC_CLK_TCK")


def memory_kib(pid: int) -> dict[str, int]:
    """``VmRSS`` (resident memory, shared pages included), ``RssAnon`` (the process's own
    heap and stacks) and ``RssFile`` of ``pid``, in KiB, from /proc/<pid>/status."""
    wanted = ("VmRSS", "RssAnon", "RssFile", "Pss", "Private_Clean", "Private_Dirty")
    values = dict.fromkeys(wanted, 0)
    for source in ("status", "smaps_rollup"):
        try:
            text = Path(f"/proc/{pid}/{source}").read_text()
        except OSError:  # smaps_rollup: Linux 4.14 and later
            continue
        for line in text.splitlines():
            name, _, rest = line.partition(":")
            if name in wanted and rest.split():
                values[name] = int(rest.split()[0])
    return values


@dataclass
class Server:
    """A server process started here (stopped by its process id, never by name)."""

    name: str
    url: str
    process: subprocess.Popen[bytes]
    log: Path

    @property
    def port(self) -> int:
        return urllib.parse.urlsplit(self.url).port or 0

    def output(self) -> str:
        return self.log.read_text(errors="replace") if self.log.exists() else ""

    def stop(self) -> None:
        if self.process.poll() is None:
            os.kill(self.process.pid, signal.SIGTERM)  # gunicorn: a graceful stop
            try:
                self.process.wait(timeout=40)
            except subprocess.TimeoutExpired:
                os.kill(self.process.pid, signal.SIGKILL)
                self.process.wait(timeout=10)


def start_server(
    name: str,
    command: list[str],
    env: dict[str, str],
    port: int,
    folder: Path,
    identity: str,
) -> Server:
    """Start ``command`` (listening on ``port``) and wait until ``/healthz`` answers with
    ``identity`` in its body (another process on the port would not). Bounded: about 30 s."""
    url = f"http://127.0.0.1:{port}"
    with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), 0.5):
        raise RuntimeError(f"something already listens on 127.0.0.1:{port}")
    log = folder / f"{name}.log"
    with log.open("wb") as out:
        process = subprocess.Popen(command, env=env, cwd=folder, stdout=out, stderr=out)
    server = Server(name, url, process, log)
    (folder / f"{name}.pid").write_text(f"{process.pid}\n")
    deadline = time.monotonic() + START_SECONDS
    for _ in range(int(START_SECONDS / 0.1)):
        if process.poll() is not None or time.monotonic() > deadline:
            break
        with contextlib.suppress(OSError, http.client.HTTPException):
            answer = fetch(url, "/healthz", timeout=2)
            if answer.status == 200 and identity.encode() in answer.body:
                return server
        time.sleep(0.1)
    server.stop()
    raise RuntimeError(f"{name} did not start:\n{server.output()[-3000:]}")


def start_affsite(
    folder: Path,
    *,
    workers: int,
    threads: int = 4,
    env: dict[str, str] | None = None,
    cpu: int | None = None,
    name: str = "affsite",
    port: int | None = None,
) -> Server:
    """``affsite serve`` on ``port`` (default: a free one) with the instance folder
    ``folder/instance`` and the ``AFFSITE_*`` settings of ``env`` (none: demo mode, the
    built-in sandbox in process)."""
    port = port or free_port()
    extra = {"AFFSITE_INSTANCE": str(folder / "instance"), **(env or {})}
    command = [sys.executable, "-c", "from affsite.cli import main; main()", "serve"]
    command += ["--bind", f"127.0.0.1:{port}", "--workers", str(workers)]
    command += ["--threads", str(threads)]
    identity = '"demo_mode":false' if "AFFSITE_API_URL" in extra else '"demo_mode":true'
    return start_server(name, pinned(command, cpu), clean_env(**extra), port, folder, identity)


def worker_pids(server: Server, workers: int) -> list[int]:
    """The gunicorn workers of ``server`` (its children), once all ``workers`` are up."""
    for _ in range(100):  # bounded: about 10 s
        found = descendants(server.process.pid)
        if len(found) >= workers:
            return sorted(found)
        time.sleep(0.1)
    raise RuntimeError(f"{server.name}: {workers} workers expected, found {found}")


# --- load -------------------------------------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class Load:
    rps: float
    p50_ms: float
    p99_ms: float
    bad: int  # non-2xx answers and socket errors
    requests: int = 0
    cpu_us: float = float("nan")  # the server's CPU time per request, when measured


def _ms(text: str) -> float:
    match = re.fullmatch(r"([\d.]+)(us|ms|s)", text)
    if not match:
        return float("nan")
    value, unit = float(match[1]), match[2]
    return value / 1000 if unit == "us" else value * 1000 if unit == "s" else value


def wrk_load(url: str, seconds: float, cpu: int | None) -> Load:
    """``wrk -t1 -c32 --latency`` for ``seconds`` against ``url``."""
    command = ["wrk", "-t1", f"-c{CONNECTIONS}", f"-d{max(1, round(seconds))}s", "--latency"]
    out = subprocess.run(
        pinned([*command, url], cpu), capture_output=True, text=True, timeout=seconds + 60
    )
    if out.returncode != 0:
        raise RuntimeError(f"wrk failed: {out.stderr.strip() or out.stdout.strip()}")
    text = out.stdout
    rps = re.search(r"Requests/sec:\s+([\d.]+)", text)
    count = re.search(r"(\d+) requests in", text)
    if not rps or not count:
        raise RuntimeError(f"cannot read wrk's output:\n{text}")
    latency = dict(re.findall(r"^\s+(50|99)%\s+(\S+)$", text, re.M))
    bad = sum(int(n) for n in re.findall(r"Non-2xx or 3xx responses:\s+(\d+)", text))
    errors = re.search(
        r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", text
    )
    if errors:
        bad += sum(int(n) for n in errors.groups())
    return Load(
        rps=float(rps[1]),
        p50_ms=_ms(latency.get("50", "")),
        p99_ms=_ms(latency.get("99", "")),
        bad=bad,
        requests=int(count[1]),
    )


def python_load(url: str, seconds: float, _cpu: int | None) -> Load:
    """Keep-alive load from 8 threads (without wrk); it saturates long before wrk does."""
    parts = urllib.parse.urlsplit(url)
    path = parts.path + ("?" + parts.query if parts.query else "")
    connections, max_requests = 8, 2_000_000
    deadline = time.perf_counter() + seconds
    latencies: list[list[float]] = [[] for _ in range(connections)]
    bad = [0] * connections

    def client(n: int) -> None:
        def connect() -> http.client.HTTPConnection:
            return http.client.HTTPConnection(parts.hostname or "127.0.0.1", parts.port, timeout=10)

        conn = connect()
        try:
            for _ in range(max_requests // connections):
                started = time.perf_counter()
                if started >= deadline:
                    break
                try:
                    conn.request("GET", path)
                    response = conn.getresponse()
                    response.read()
                    bad[n] += not 200 <= response.status < 300
                except (OSError, http.client.HTTPException):
                    bad[n] += 1
                    conn.close()
                    conn = connect()
                latencies[n].append(time.perf_counter() - started)
        finally:
            conn.close()

    started = time.perf_counter()
    threads = [threading.Thread(target=client, args=(n,)) for n in range(connections)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=seconds + 30)
    elapsed = time.perf_counter() - started
    every = sorted(t for part in latencies for t in part)
    if not every:
        return Load(rps=0.0, p50_ms=float("nan"), p99_ms=float("nan"), bad=sum(bad))
    return Load(
        requests=len(every),
        rps=len(every) / elapsed,
        p50_ms=every[len(every) // 2] * 1000,
        p99_ms=every[min(len(every) - 1, int(len(every) * 0.99))] * 1000,
        bad=sum(bad),
    )


LoadFunction = Callable[[str, float, int | None], Load]


def choose_load(load_cpu: int | None, *, python: bool = False) -> tuple[LoadFunction, bool]:
    """wrk when installed (and not ``python``), else the Python generator, which runs in this
    process: then this process moves to ``load_cpu``. Returns (load, uses wrk)."""
    if shutil.which("wrk") and not python:
        return wrk_load, True
    if load_cpu is not None:
        os.sched_setaffinity(0, {load_cpu})
    return python_load, False
