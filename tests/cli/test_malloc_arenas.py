"""``affsite serve`` asks glibc for one heap per worker, unless the operator chose."""

from __future__ import annotations

import subprocess
import sys

import pytest

from affsite.cli import malloc_arenas


def test_glibc_agrees_to_one_heap(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("MALLOC_ARENA_MAX", raising=False)
    if not sys.platform.startswith("linux"):
        pytest.skip("glibc only")
    assert malloc_arenas.limit_malloc_arenas() is True


def test_an_operators_own_setting_is_left_alone(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MALLOC_ARENA_MAX", "8")
    assert malloc_arenas.limit_malloc_arenas() is False


def test_a_process_limited_so_still_runs_threads_that_allocate() -> None:
    # A fresh interpreter, so the limit applies from its start, as in ``affsite serve``.
    script = (
        "import threading\n"
        "from affsite.cli.malloc_arenas import limit_malloc_arenas\n"
        "print(limit_malloc_arenas())\n"
        "out = []\n"
        "def work():\n"
        "    out.append(sum(len(bytes(5000 + n)) for n in range(2000)))\n"
        "threads = [threading.Thread(target=work) for _ in range(8)]\n"
        "[t.start() for t in threads]; [t.join() for t in threads]\n"
        "print(len(out))\n"
    )
    env = {"PATH": "/usr/bin:/bin"}
    result = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, env=env, timeout=60
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["True", "8"]
