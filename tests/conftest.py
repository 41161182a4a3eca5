"""Fixtures shared by every test area. Each area keeps its own conftest.py beside its tests."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from affsite.clock import FakeClock


@pytest.fixture(autouse=True)
def _scrub_affsite_environment(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """No test sees the developer's or CI's AFFSITE_* variables (credentials above all)."""
    for name in list(os.environ):
        if name.startswith("AFFSITE_"):
            monkeypatch.delenv(name, raising=False)
    yield


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


# --- real servers on 127.0.0.1 ----------------------------------------------------------------

ServeWsgi = Callable[[Any], str]


@pytest.fixture
def serve_wsgi() -> Iterator[ServeWsgi]:
    """Serve WSGI apps on free loopback ports (threaded); answers each one's base URL."""
    from werkzeug.serving import BaseWSGIServer, make_server

    running: list[tuple[BaseWSGIServer, threading.Thread]] = []

    def serve(app: Any) -> str:
        httpd = make_server("127.0.0.1", 0, app, threaded=True)
        thread = threading.Thread(target=httpd.serve_forever, daemon=True)
        thread.start()
        running.append((httpd, thread))
        return f"http://127.0.0.1:{httpd.server_port}"

    try:
        yield serve
    finally:
        for httpd, thread in running:
            httpd.shutdown()
            thread.join(timeout=10)
            httpd.server_close()


BOOT_SECONDS = 60.0  # a loaded 2-core machine can take tens of seconds to boot gunicorn


def wait_until_serving(
    process: subprocess.Popen[bytes],
    url: str,
    output: Callable[[], str],
    *,
    seconds: float = BOOT_SECONDS,
) -> None:
    """Return once ``url``/healthz answers 2xx; fail with ``output()`` if ``process`` exits
    or ``seconds`` pass first (bounded by time and by count)."""
    deadline = time.monotonic() + seconds
    for _ in range(int(seconds / 0.1) + 1):
        if process.poll() is not None or time.monotonic() > deadline:
            break
        try:
            with urllib.request.urlopen(f"{url}/healthz", timeout=2):
                return
        except OSError:  # not listening yet, or 503 while it starts
            time.sleep(0.1)
    raise AssertionError(f"affsite serve did not start:\n{output()}")


@dataclass
class ServedSite:
    """An ``affsite serve`` process: its base URL and what it printed so far."""

    url: str
    log: Path

    def output(self) -> str:
        return self.log.read_text(errors="replace")


AffsiteServe = Callable[..., ServedSite]


@pytest.fixture
def affsite_serve(tmp_path: Path) -> Iterator[AffsiteServe]:
    """Start ``affsite serve`` (gunicorn) on a free port with ``env`` (AFFSITE_* scrubbed
    first) and extra arguments; returns once ``/healthz`` answers (bounded: about 20 s).
    """
    started: list[subprocess.Popen[bytes]] = []

    def start(env: dict[str, str], *args: str) -> ServedSite:
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            port = sock.getsockname()[1]
        full_env = {k: v for k, v in os.environ.items() if not k.startswith("AFFSITE_")}
        full_env.update(env)
        command = [sys.executable, "-c", "from affsite.cli import main; main()", "serve"]
        command += ["--bind", f"127.0.0.1:{port}", *args]
        site = ServedSite(f"http://127.0.0.1:{port}", tmp_path / f"serve-{len(started)}.log")
        with site.log.open("wb") as log:
            process = subprocess.Popen(
                command, env=full_env, cwd=tmp_path, stdout=log, stderr=subprocess.STDOUT
            )
        started.append(process)
        wait_until_serving(process, site.url, site.output)
        return site

    try:
        yield start
    finally:
        for process in started:
            process.terminate()
            process.wait(timeout=30)


# --- a real redis-server on 127.0.0.1 ------------------------------------------------------------

MISSING_REDIS = (
    "redis-server is not installed: scripts/test.sh installs Debian's redis-server "
    "(apt-get install redis-server)"
)


@dataclass
class RedisServer:
    """A ``redis-server`` on a free loopback port, without persistence, in a temporary
    folder; ``stop`` and ``start`` let a test take it away and bring it back on the same port.
    """

    binary: str
    folder: Path
    port: int = 0
    process: subprocess.Popen[bytes] | None = None

    def url(self, database: int = 0) -> str:
        return f"redis://127.0.0.1:{self.port}/{database}"

    @property
    def running(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def start(self) -> None:
        if self.running:
            return
        if not self.port:
            with socket.socket() as sock:
                sock.bind(("127.0.0.1", 0))
                self.port = sock.getsockname()[1]
        command = [self.binary, "--port", str(self.port), "--bind", "127.0.0.1"]
        command += ["--save", "", "--appendonly", "no", "--dir", str(self.folder)]
        with (self.folder / "redis.log").open("ab") as log:
            self.process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT)
        for _ in range(100):  # bounded: at most ~10 s to answer
            if self.process.poll() is not None:
                break
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=1) as conn:
                    conn.sendall(b"PING\r\n")
                    if conn.recv(64).startswith(b"+PONG"):
                        return
            except OSError:
                pass
            time.sleep(0.1)
        log_text = (self.folder / "redis.log").read_text(errors="replace")
        raise AssertionError(f"redis-server did not start:\n{log_text}")

    def stop(self) -> None:
        if self.process is not None:
            self.resume()  # a paused server cannot stop
            self.process.terminate()
            self.process.wait(timeout=30)
            self.process = None

    def pause(self) -> None:
        """Freeze the server (SIGSTOP): it keeps its data and its port, but answers nothing."""
        import signal

        if self.process is not None:
            self.process.send_signal(signal.SIGSTOP)

    def resume(self) -> None:
        import signal

        if self.process is not None:
            self.process.send_signal(signal.SIGCONT)


@pytest.fixture(scope="session")
def redis_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RedisServer]:
    """One redis-server per test process (skipped, saying why, where none is installed)."""
    import shutil

    binary = shutil.which("redis-server") or (
        "/usr/bin/redis-server" if Path("/usr/bin/redis-server").exists() else None
    )
    if binary is None:
        pytest.skip(MISSING_REDIS)
    server = RedisServer(binary=binary, folder=tmp_path_factory.mktemp("redis"))
    server.start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def redis_url(redis_server: RedisServer) -> str:
    """The running server's URL (started again if a test before stopped it)."""
    redis_server.start()
    return redis_server.url()


@pytest.fixture
def redis_prefix(redis_url: str) -> Iterator[str]:
    """A key prefix of this test's own (another site, to Redis); its keys go afterwards."""
    import uuid

    import redis

    prefix = f"t{uuid.uuid4().hex[:12]}"
    yield prefix
    client = redis.Redis.from_url(redis_url, socket_timeout=5)
    try:
        names = list(client.scan_iter(match=f"{prefix}:*", count=500))
        if names:
            client.unlink(*names)
    except redis.RedisError:
        pass  # stopped by the test: the keys went with it (no persistence)
    finally:
        client.close()


# --- the stores on either backend -----------------------------------------------------------------

BACKENDS = ("disk", "redis")
"""Parametrise a test module on both with
``pytestmark = pytest.mark.parametrize("store_backend", BACKENDS, indirect=True)``."""

OpenStores = Callable[..., Any]


@pytest.fixture
def store_backend(request: pytest.FixtureRequest) -> str:
    """Where a test's stores live: "disk", unless parametrised (indirectly) with "redis".

    ``TEST_STORE_BACKEND=redis`` makes "redis" the default, to run any store-using tests on it.
    """
    return str(getattr(request, "param", os.environ.get("TEST_STORE_BACKEND", "disk")))


@pytest.fixture
def open_backend_stores(request: pytest.FixtureRequest, store_backend: str) -> OpenStores:
    """``open_stores`` for the test's backend: the same arguments, and on "redis" the stores
    live in the test's own keys of the test redis-server (the folder is then unused)."""
    import functools

    from affsite.cache import open_stores

    if store_backend == "redis":
        url = request.getfixturevalue("redis_url")
        prefix = request.getfixturevalue("redis_prefix")
        return functools.partial(open_stores, redis_url=url, redis_prefix=prefix)
    assert store_backend == "disk", store_backend
    return open_stores
