"""``affsite sandbox``: the offline gateway as a local HTTP server, until Ctrl-C."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from affsite.aliexpress.sandbox import DEMO_APP_KEY, DEMO_APP_SECRET

pytestmark = pytest.mark.slow


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def _affsite_command() -> list[str]:
    script = Path(sys.executable).with_name("affsite")
    if script.exists():
        return [str(script)]
    return [sys.executable, "-c", "from affsite.cli import main; main()"]


def test_cli_command_serves_until_interrupted() -> None:
    port = _free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("AFFSITE_")}
    proc = subprocess.Popen(
        [*_affsite_command(), "sandbox", "--port", str(port)],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env,
    )  # fmt: skip
    try:
        stats = None
        deadline = time.monotonic() + 60
        while stats is None and time.monotonic() < deadline and proc.poll() is None:
            try:
                stats = httpx.get(f"http://127.0.0.1:{port}/_sandbox/stats", timeout=2).json()
            except httpx.TransportError:
                time.sleep(0.2)
        assert stats == {"calls": 0, "by_method": {}, "faults": []}, proc.poll()
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=20)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()
    assert proc.returncode == 0, err
    assert f"AFFSITE_API_URL=http://127.0.0.1:{port}/sync" in out
    assert f"AFFSITE_APP_KEY={DEMO_APP_KEY}" in out
    assert f"AFFSITE_APP_SECRET={DEMO_APP_SECRET}" in out
