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
        for _ in range(200):  # bounded by count: at most ~20 s to boot
            if process.poll() is not None:
                break
            try:
                with urllib.request.urlopen(f"{site.url}/healthz", timeout=2):
                    return site
            except OSError:
                time.sleep(0.1)
        raise AssertionError(f"affsite serve did not start:\n{site.output()}")

    try:
        yield start
    finally:
        for process in started:
            process.terminate()
            process.wait(timeout=30)
