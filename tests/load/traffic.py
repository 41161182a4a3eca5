"""Concurrent HTTP clients on 127.0.0.1, bounded by a request count and a time limit, and the
numbers they bring back (statuses, ``X-Cache``, latency percentiles, connection errors).

Each client keeps one HTTP/1.1 connection alive, as a browser or a proxy in front would, and
opens a new one when the server closes it. A request the server cut short (a worker killed)
is counted under ``errors`` by the exception's name.
"""

from __future__ import annotations

import http.client
import itertools
import threading
import time
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from urllib.parse import urlsplit

#: Checks one answer: (path, status, headers, body) -> a problem in words, or None.
Check = Callable[[str, int, Mapping[str, str], bytes], str | None]
#: The path of request number n.
Paths = Sequence[str] | Callable[[int], str]


@dataclass
class Answer:
    status: int
    headers: dict[str, str]
    body: bytes


@dataclass
class LoadReport:
    """What a run of requests got back."""

    label: str
    sent: int = 0
    statuses: Counter[int] = field(default_factory=Counter)
    x_cache: Counter[str] = field(default_factory=Counter)
    lists: Counter[str] = field(default_factory=Counter)  # X-List-Cache, on list answers
    errors: Counter[str] = field(default_factory=Counter)
    problems: list[str] = field(default_factory=list)
    latencies: list[float] = field(default_factory=list)
    seconds: float = 0.0

    def count(self, low: int, high: int) -> int:
        """Answers with a status in ``low <= status < high``."""
        return sum(n for status, n in self.statuses.items() if low <= status < high)

    @property
    def server_errors(self) -> int:
        return self.count(500, 600)

    def percentile(self, share: float) -> float:
        """Latency in milliseconds below which ``share`` of the answers came."""
        if not self.latencies:
            return 0.0
        ordered = sorted(self.latencies)
        return 1000 * ordered[min(len(ordered) - 1, int(share * len(ordered)))]

    def show(self) -> str:
        lists = f"x-list-cache={dict(sorted(self.lists.items()))} " if self.lists else ""
        line = (
            f"[{self.label}] requests={self.sent} in {self.seconds:.1f}s "
            f"statuses={dict(sorted(self.statuses.items()))} "
            f"x-cache={dict(sorted(self.x_cache.items()))} {lists}"
            f"errors={dict(self.errors)} problems={len(self.problems)} "
            f"p50={self.percentile(0.5):.1f}ms p95={self.percentile(0.95):.1f}ms "
            f"p99={self.percentile(0.99):.1f}ms"
        )
        print(line)
        for problem in self.problems[:5]:
            print(f"    problem: {problem}")
        return line


class Client:
    """One kept-alive connection to the site, reopened when it breaks (without
    ``keep_alive``: a new connection per request, for clients that idle between requests
    longer than the server keeps a connection open)."""

    def __init__(self, base_url: str, timeout: float = 30.0, *, keep_alive: bool = True) -> None:
        parts = urlsplit(base_url)
        self._host = parts.hostname or "127.0.0.1"
        self._port = parts.port or 80
        self._timeout = timeout
        self._keep_alive = keep_alive
        self._conn: http.client.HTTPConnection | None = None

    def request(
        self,
        path: str,
        *,
        method: str = "GET",
        headers: Mapping[str, str] | None = None,
        body: bytes | None = None,
    ) -> Answer:
        if self._conn is None:
            self._conn = http.client.HTTPConnection(self._host, self._port, timeout=self._timeout)
        try:
            self._conn.request(method, path, body=body, headers=dict(headers or {}))
            response = self._conn.getresponse()
            data = response.read()
        except (OSError, http.client.HTTPException):
            self.close()
            raise
        if response.will_close or not self._keep_alive:
            self.close()
        return Answer(response.status, {k.lower(): v for k, v in response.getheaders()}, data)

    def close(self) -> None:
        if self._conn is not None:
            self._conn.close()
            self._conn = None


def run_load(
    base_url: str,
    paths: Paths,
    *,
    label: str,
    clients: int,
    requests: int,
    seconds: float,
    check: Check | None = None,
    headers: Mapping[str, str] | None = None,
    between: Callable[[int], None] | None = None,
) -> LoadReport:
    """Send ``requests`` GETs from ``clients`` threads, stopping early after ``seconds``.

    ``paths`` gives the path of request number n (a sequence is cycled). ``check`` looks at
    every answer; ``between(n)`` runs in the client thread before request n (to act mid-load).
    """
    report = LoadReport(label)
    numbers = itertools.count()
    lock = threading.Lock()
    started = time.monotonic()
    deadline = started + seconds

    def path_of(n: int) -> str:
        if callable(paths):
            return paths(n)
        return paths[n % len(paths)]

    def work() -> None:
        client = Client(base_url)
        try:
            while time.monotonic() < deadline:
                with lock:
                    n = next(numbers)
                if n >= requests:
                    return
                if between is not None:
                    between(n)
                path = path_of(n)
                began = time.monotonic()
                try:
                    answer = client.request(path, headers=headers)
                except (OSError, http.client.HTTPException) as error:
                    with lock:
                        report.sent += 1
                        report.errors[type(error).__name__] += 1
                    continue
                spent = time.monotonic() - began
                problem = check(path, answer.status, answer.headers, answer.body) if check else None
                with lock:
                    report.sent += 1
                    report.statuses[answer.status] += 1
                    report.x_cache[answer.headers.get("x-cache", "-")] += 1
                    if "x-list-cache" in answer.headers:
                        report.lists[answer.headers["x-list-cache"]] += 1
                    report.latencies.append(spent)
                    if problem is not None:
                        report.problems.append(f"{path}: {problem}")
        finally:
            client.close()

    threads = [threading.Thread(target=work, daemon=True) for _ in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=seconds + 60)
    report.seconds = time.monotonic() - started
    report.show()
    return report
