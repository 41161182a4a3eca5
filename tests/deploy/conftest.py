"""Fixtures for the deployment tests: ``affsite serve`` behind the shipped nginx site, both on
127.0.0.1, with the sandbox gateway served over HTTP so gateway calls can be counted and slowed.
"""

from __future__ import annotations

import itertools
import os
import shutil
import signal
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from conftest import wait_until_serving

from affsite.aliexpress.sandbox import DEMO_APP_KEY, DEMO_APP_SECRET, Sandbox
from affsite.aliexpress.sandbox.server import ServerHandle, serve

from .nginx import (
    MISSING_NGINX,
    MISSING_OPENSSL,
    NginxFront,
    free_port,
    nginx_binary,
    start_nginx,
)

TRACKING_ID = "deployed_site"
_SENTINELS = itertools.count(1)


@pytest.fixture
def nginx() -> str:
    """The nginx executable; the test is skipped (with the reason) when there is none."""
    binary = nginx_binary()
    if binary is None:
        pytest.skip(MISSING_NGINX)
    if shutil.which("openssl") is None:
        pytest.skip(MISSING_OPENSSL)
    return binary


@pytest.fixture
def gateway() -> Iterator[tuple[Sandbox, ServerHandle]]:
    sandbox = Sandbox(tracking_ids=(TRACKING_ID,))
    with serve(sandbox) as handle:
        yield sandbox, handle


@dataclass
class App:
    """An ``affsite serve`` process and what it printed (gunicorn's access log among it)."""

    process: subprocess.Popen[bytes]
    port: int
    log: Path

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def output(self) -> str:
        return self.log.read_text(errors="replace")

    def requests_for(self, target: str, method: str = "GET", *, expected: int) -> int:
        """How many ``method target`` requests affsite has logged (gunicorn logs a request just
        after answering it). Waits, about 10 s at most, until ``expected`` of them are in the
        log and a request sent to affsite directly afterwards is too, so that the lines of
        requests answered before this call are counted, including any beyond ``expected``.
        """
        line = f'"{method} {target} HTTP/1.'
        for _ in range(100):
            if self.output().count(line) >= expected:
                break
            time.sleep(0.1)
        sentinel = f"/healthz?sentinel={next(_SENTINELS)}"
        with urllib.request.urlopen(f"{self.url}{sentinel}", timeout=10):
            pass
        for _ in range(100):
            if f'"GET {sentinel} HTTP/1.1"' in self.output():
                break
            time.sleep(0.1)
        else:
            raise AssertionError(f"affsite never logged {sentinel}:\n{self.output()}")
        return self.output().count(line)

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)  # gunicorn: graceful stop
            try:
                self.process.wait(timeout=40)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)


@dataclass
class Deployment:
    front: NginxFront
    app: App
    sandbox: Sandbox


Deploy = Callable[..., Deployment]


@pytest.fixture
def deploy(nginx: str, gateway: tuple[Sandbox, ServerHandle], tmp_path: Path) -> Iterator[Deploy]:
    """Start nginx with the shipped site in front of ``affsite serve`` (2 workers x 4 threads,
    ``AFFSITE_PROXY_FIX=1``, ``AFFSITE_PUBLIC_URL`` the plain test server unless
    ``public_url=False``), the sandbox gateway behind it; everything stops afterwards."""
    sandbox, handle = gateway
    apps: list[App] = []
    fronts: list[NginxFront] = []

    def start(*, public_url: bool = True) -> Deployment:
        folder = tmp_path / f"deploy-{len(fronts)}"
        folder.mkdir()
        port = free_port()
        front = start_nginx(nginx, folder, upstream=f"127.0.0.1:{port}")
        fronts.append(front)
        env = {k: v for k, v in os.environ.items() if not k.startswith("AFFSITE_")}
        env.update(
            AFFSITE_INSTANCE=str(folder / "instance"),
            AFFSITE_API_URL=handle.sync_url,
            AFFSITE_APP_KEY=DEMO_APP_KEY,
            AFFSITE_APP_SECRET=DEMO_APP_SECRET,
            AFFSITE_TRACKING_ID=TRACKING_ID,
            AFFSITE_RATE_LIMIT="50",
            AFFSITE_PROXY_FIX="1",
        )
        if public_url:
            env["AFFSITE_PUBLIC_URL"] = front.plain
        command = [sys.executable, "-c", "from affsite.cli import main; main()", "serve"]
        command += ["--bind", f"127.0.0.1:{port}", "--workers", "2", "--threads", "4"]
        log = folder / "affsite.log"
        with log.open("wb") as out:
            process = subprocess.Popen(
                command, env=env, cwd=folder, stdout=out, stderr=subprocess.STDOUT
            )
        app = App(process, port, log)
        apps.append(app)
        wait_until_serving(process, app.url, app.output)
        return Deployment(front, app, sandbox)

    try:
        yield start
    finally:
        # nginx first: it holds keep-alive connections that gunicorn would otherwise wait for.
        for front in fronts:
            front.stop()
        for app in apps:
            app.stop()
