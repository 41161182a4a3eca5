"""A worker killed with SIGKILL mid-write: while visitors make the workers fetch and store
products and the admin keeps saving the settings, workers are killed outright, several times.
gunicorn starts new ones; afterwards the settings file and every stored product read back
correctly, and the site answers as before."""

from __future__ import annotations

import http.client
import json
import os
import signal
import threading
import time
from collections.abc import Mapping

import pytest

from affsite.settings import SettingsStore

from .admin import Admin
from .conftest import cold_ids
from .routes import public_paths
from .stack import WORKERS, LoadStack
from .traffic import run_load

pytestmark = pytest.mark.load

CLIENTS = 8
REQUESTS = 600
KILL_AT = (60, 180, 300, 420)  # requests during which a worker is killed
LOCK_TTL = 90  # seconds a fetch lock outlives a worker that died holding it


def no_server_error(path: str, status: int, headers: Mapping[str, str], body: bytes) -> str | None:
    return None if 200 <= status < 400 else f"status {status}"


class SettingsSaver:
    """The admin saving the settings page again and again (bounded by count and time)."""

    def __init__(self, admin: Admin) -> None:
        self.admin = admin
        self.sent: list[str] = []
        self.saved: list[str] = []
        self.failed = 0
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self.run, daemon=True)

    def run(self) -> None:
        deadline = time.monotonic() + 60
        for n in range(400):
            if self.stop.is_set() or time.monotonic() > deadline:
                return
            text = f"Buy it now ({n})"
            self.sent.append(text)
            try:
                answer = self.admin.post("/admin/settings", {"button_text": text})
            except (OSError, http.client.HTTPException):  # its worker was killed under it
                self.failed += 1
                continue
            if answer.status == 303:
                self.saved.append(text)


def test_workers_killed_mid_write_leave_the_cache_and_the_settings_readable(
    stack: LoadStack,
) -> None:
    fetched = cold_ids(stack, 50, 60)  # products no scenario has stored yet
    warm = public_paths(stack.warm_ids[:20])
    paths = [
        *(f"/api/v1/products?ids={pid}" for pid in fetched),
        *(f"/embed/list?ids={','.join(fetched[i : i + 3])}" for i in range(0, 60, 3)),
        *warm,
    ]
    original = set(stack.worker_pids())
    killed: list[int] = []

    def kill(n: int) -> None:
        if n in KILL_AT:
            pid = stack.worker_pids()[0]
            os.kill(pid, signal.SIGKILL)
            killed.append(pid)

    stack.sandbox.inject("slow", seconds=0.05)  # fetches overlap the kills
    saver = SettingsSaver(stack.admin())
    saver.thread.start()
    try:
        report = run_load(
            stack.url,
            paths,
            label="kill -9",
            clients=CLIENTS,
            requests=REQUESTS,
            seconds=90,
            check=no_server_error,
            between=kill,
        )
    finally:
        saver.stop.set()
        saver.thread.join(timeout=30)
        saver.admin.close()
    stack.heal()
    workers = wait_for_workers(stack)
    print(
        f"[kill -9] killed={killed} workers now={workers} settings saves sent="
        f"{len(saver.sent)} acknowledged={len(saver.saved)} cut={saver.failed}"
    )
    assert len(killed) == len(KILL_AT) and not set(killed) & set(workers)
    assert len(workers) == WORKERS and set(workers) != original
    assert report.server_errors == 0 and report.problems == []
    assert report.count(200, 400) > REQUESTS // 2

    # The settings: the file is whole, a value that was saved, and in force everywhere.
    stored = json.loads((stack.instance / "settings.json").read_text())
    state = SettingsStore(stack.instance, environ=stack.env).state()
    assert saver.saved and stored["button_text"] in saver.sent
    assert state.problems == () and state.settings.button_text == stored["button_text"]
    leftovers = [p.name for p in stack.instance.iterdir() if p.name.startswith(".settings")]
    print(f"[kill -9] settings.json button_text={stored['button_text']!r} leftovers={leftovers}")
    health = json.loads(stack.get("/healthz").body)
    assert health["status"] == "ok" and health["settings_problems"] == []
    page = stack.admin()
    try:
        assert stored["button_text"] in page.get("/admin/settings").body.decode()
    finally:
        page.close()

    # The cache: every product reads back whole, from the cache, without a call.
    stack.advance(LOCK_TTL + 1)  # locks of killed workers run out, as they would
    first = read_back(stack, fetched)
    calls = stack.state().calls
    second = read_back(stack, fetched)
    after = stack.state()
    print(f"[kill -9] read back: first {first[1]}, again {second[1]}, cache {after.stats['cache']}")
    assert first[0] == second[0]  # the same products, byte for byte
    assert all(item["available"] and item["title"] for item in second[0])
    assert [item["id"] for item in second[0]] == fetched
    assert second[1] == {"HIT"} and after.calls == calls
    assert after.stats["cache"]["state"] == "ok"


def read_back(stack: LoadStack, ids: list[str]) -> tuple[list[dict[str, object]], set[str]]:
    items: list[dict[str, object]] = []
    statuses: set[str] = set()
    for start in range(0, len(ids), 40):
        answer = stack.get(f"/api/v1/products?ids={','.join(ids[start : start + 40])}")
        assert answer.status == 200
        items += json.loads(answer.body)
        statuses.add(answer.headers.get("x-cache", ""))
    return items, statuses


def wait_for_workers(stack: LoadStack) -> list[int]:
    """The workers once gunicorn has replaced the killed ones and they answer (bounded)."""
    workers = stack.worker_pids()
    for _ in range(150):  # about 30 s at most
        workers = stack.worker_pids()
        if len(workers) == WORKERS and stack.get("/healthz").status == 200:
            break
        time.sleep(0.2)
    return workers
