"""Two machines, one Redis (issue 13): two instance folders, each with ``affsite serve`` and two
workers, sharing one redis-server and the sandbox gateway over HTTP, all on 127.0.0.1.

What each machine owns is only its folder; the settings, the product cache, the quota, the
ban, the fetch locks and the counters are in Redis under one prefix. Waits are bounded polls
of real servers (no timing is asserted).
"""

from __future__ import annotations

import http.cookiejar
import json
import os
import re
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any, Protocol, TypeVar
from urllib.parse import urlencode

import pytest
from conftest import wait_until_serving

from affsite.aliexpress.sandbox import DEMO_APP_KEY, DEMO_APP_SECRET, Sandbox
from affsite.aliexpress.sandbox.server import ServerHandle, serve
from affsite.settings.redis_store import RedisSettingsStore, connect

from .nginx import free_port

pytestmark = pytest.mark.slow

T = TypeVar("T")

DETAIL = "aliexpress.affiliate.productdetail.get"
TRACKING_ID = "two_machines"
PASSWORD = "two-machines-admin-password"
_CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


class Server(Protocol):
    """The root conftest's ``RedisServer``, as these tests use it."""

    def start(self) -> None: ...
    def stop(self) -> None: ...


@dataclass
class Machine:
    """One ``affsite serve`` (two workers) on its own instance folder."""

    name: str
    folder: Path
    env: dict[str, str]
    process: subprocess.Popen[bytes]
    port: int

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def get(self, path: str) -> tuple[int, dict[str, str], bytes]:
        try:
            with urllib.request.urlopen(f"{self.url}{path}", timeout=30) as answer:
                return answer.status, dict(answer.headers), answer.read()
        except urllib.error.HTTPError as error:
            return error.code, dict(error.headers), error.read()

    def products(self, *ids: str) -> tuple[int, list[dict[str, Any]]]:
        status, _, body = self.get(f"/api/v1/products?ids={','.join(ids)}")
        return status, json.loads(body) if status == 200 else []

    def health(self) -> tuple[int, dict[str, Any]]:
        status, _, body = self.get("/healthz")
        return status, json.loads(body)

    def cli(self, *args: str) -> dict[str, Any]:
        command = [sys.executable, "-c", "from affsite.cli import main; main()", *args]
        done = subprocess.run(
            command, env=self.env, cwd=self.folder, capture_output=True, text=True, timeout=60
        )
        assert done.returncode == 0, done.stderr
        result: dict[str, Any] = json.loads(done.stdout)
        return result

    def output(self) -> str:
        return (self.folder / "serve.log").read_text(errors="replace")


@dataclass
class Site:
    machines: tuple[Machine, Machine]
    sandbox: Sandbox

    def calls(self) -> int:
        return self.sandbox.call_count(DETAIL)


StartSite = Callable[..., Site]


@pytest.fixture
def start_site(tmp_path: Path, redis_url: str, redis_prefix: str) -> Iterator[StartSite]:
    """Save ``settings`` in Redis (as the admin page would), then start two machines on it."""
    running: list[Machine] = []
    handles: list[ServerHandle] = []

    def start(**settings: Any) -> Site:
        sandbox = Sandbox(tracking_ids=(TRACKING_ID,))
        handle = serve(sandbox)
        handles.append(handle)
        client = connect(redis_url)
        RedisSettingsStore(tmp_path / "seed", client=client, prefix=redis_prefix).save(
            {
                "app_key": DEMO_APP_KEY,
                "app_secret": DEMO_APP_SECRET,
                "tracking_id": TRACKING_ID,
                "api_url": handle.sync_url,
                "rate_limit": "100",
                **{name: str(value) for name, value in settings.items()},
            }
        )
        client.close()
        machines = tuple(launch(tmp_path / name, redis_url, redis_prefix) for name in "ab")
        running.extend(machines)
        return Site(machines=(machines[0], machines[1]), sandbox=sandbox)

    try:
        yield start
    finally:
        for machine in running:
            machine.process.terminate()
            machine.process.wait(timeout=40)
        for handle in handles:
            handle.shutdown()


def launch(folder: Path, redis_url: str, prefix: str) -> Machine:
    folder.mkdir()
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("AFFSITE_")}
    env.update(
        AFFSITE_INSTANCE=str(folder / "instance"),
        AFFSITE_REDIS_URL=redis_url,
        AFFSITE_REDIS_PREFIX=prefix,
        AFFSITE_ADMIN_PASSWORD=PASSWORD,
    )
    command = [sys.executable, "-c", "from affsite.cli import main; main()", "serve"]
    command += ["--bind", f"127.0.0.1:{port}", "--workers", "2", "--threads", "4"]
    with (folder / "serve.log").open("wb") as log:
        process = subprocess.Popen(
            command, env=env, cwd=folder, stdout=log, stderr=subprocess.STDOUT
        )
    machine = Machine(folder.name, folder, env, process, port)
    wait_until_serving(process, machine.url, machine.output)
    return machine


def at_once(jobs: Sequence[Callable[[], Any]]) -> list[Any]:
    """Run every job in its own thread, all released together; their results in order."""
    start = threading.Barrier(len(jobs))

    def run(job: Callable[[], Any]) -> Any:
        start.wait(timeout=30)
        return job()

    with ThreadPoolExecutor(max_workers=len(jobs)) as pool:
        return list(pool.map(run, jobs))


def poll(ask: Callable[[], T], done: Callable[[T], bool], seconds: float = 10.0) -> T:
    """What ``ask`` answers once ``done`` holds for it (bounded; the assertion names the last
    answer when it never does)."""
    answer = ask()
    for _ in range(int(seconds / 0.1)):  # bounded by count
        if done(answer):
            return answer
        time.sleep(0.1)
        answer = ask()
    raise AssertionError(f"still {answer!r} after {seconds} s")


def wait_for(condition: Callable[[], bool], seconds: float = 10.0) -> bool:
    for _ in range(int(seconds / 0.1)):  # bounded by count
        if condition():
            return True
        time.sleep(0.1)
    return condition()


# --- the proofs -------------------------------------------------------------------------------


def test_concurrent_cold_requests_on_both_machines_make_one_gateway_call(
    start_site: StartSite,
) -> None:
    site = start_site()
    ids = site.sandbox.catalog.promotable_ids()[:3]
    jobs = [partial(machine.products, *ids) for machine in site.machines for _ in range(8)]

    answers = at_once(jobs)

    assert [status for status, _ in answers] == [200] * 16
    assert all(item["available"] for _, items in answers for item in items)
    assert site.calls() == 1, "one batch, one call, whichever machine and worker made it"
    a, b = site.machines
    assert a.health()[1]["store"] == b.health()[1]["store"] == "redis"


def test_the_daily_quota_holds_when_both_machines_hammer_at_once(
    start_site: StartSite,
) -> None:
    site = start_site(daily_quota=20, admin_reserve=0, new_product_share=100, batch_size=1)
    unknown = [str(10**15 + n) for n in range(60)]  # ids nobody has: one call each
    jobs = [partial(site.machines[n % 2].products, pid) for n, pid in enumerate(unknown)]

    answers = at_once(jobs[:30]) + at_once(jobs[30:])

    assert {status for status, _ in answers} == {200}
    assert site.calls() == 20, "the quota of both machines together, not one call more"
    for machine in site.machines:
        assert machine.cli("quota", "--json")["used"] == 20


def test_a_ban_one_machine_meets_is_honoured_by_the_other(start_site: StartSite) -> None:
    site = start_site()
    a, b = site.machines
    first, second = site.sandbox.catalog.promotable_ids()[:2]
    site.sandbox.inject("rate_limit", times=1, ban_seconds=3600)

    status, items = a.products(first)
    assert status == 200 and items[0]["reason"] == "banned"
    calls = site.calls()
    status, items = b.products(second)  # the gateway would answer now: the ban is ours
    assert status == 200 and (items[0]["available"], items[0]["reason"]) == (False, "banned")
    assert site.calls() == calls
    assert b.cli("cache", "stats", "--json")["ban_until"] is not None


def test_a_settings_save_on_one_machine_shows_on_the_other(start_site: StartSite) -> None:
    site = start_site()
    a, b = site.machines
    product = site.sandbox.catalog.promotable_ids()[0]
    assert b.get(f"/api/v1/snippet?ids={product}")[0] == 200

    admin = Admin(a.url)
    admin.log_in(PASSWORD)
    saved = admin.post("/admin/settings", {"disclosure": "Saved on machine a."})
    assert saved < 400

    def shown_on_b() -> bool:
        return b"Saved on machine a." in b.get(f"/api/v1/snippet?ids={product}")[2]

    assert wait_for(shown_on_b), "machine b never showed the disclosure saved on machine a"


def test_redis_stopped_mid_load_no_5xx_no_calls_then_recovery(
    start_site: StartSite, redis_server: Server
) -> None:
    site = start_site()
    a, b = site.machines
    promotable = site.sandbox.catalog.promotable_ids()
    warm, cold = promotable[:3], promotable[3:20]
    for machine in site.machines:
        for _ in range(4):  # every worker of both machines serves the warm ids once
            assert machine.products(*warm)[0] == 200
    calls = site.calls()

    redis_server.stop()
    try:
        jobs = [
            partial(machine.products, *ids)
            for machine in site.machines
            for ids in ([*warm], [cold[0]], [*warm], [cold[1], warm[0]])
        ]
        answers = at_once(jobs) + at_once(jobs)
        assert {status for status, _ in answers} == {200}, "no 5xx while Redis is down"
        assert site.calls() == calls, "no gateway call while the quota cannot be proven"
        for machine in site.machines:
            # A worker that heard from Redis within the last second trusts it until it asks
            # again, so each machine is asked until the worker that answers has noticed.
            health = poll(machine.health, lambda answer: answer[0] == 503)[1]
            assert (health["store"], health["limits"]) == ("redis", "stopped")
            assert health["limits_problem"] == "Redis refused the connection"
            assert machine.get("/embed/iframe/" + warm[0])[0] == 200
    finally:
        redis_server.start()

    assert wait_for(lambda: a.health()[0] == 200 and b.health()[0] == 200)
    # This Redis came back empty (no persistence here): the machines gave it the settings back.
    assert not b.health()[1]["demo_mode"]
    # Each worker tries Redis again within a second of needing it (one thread at a time), and
    # a product refused in that second is not remembered: a few tries at most.
    assert poll(
        partial(b.products, cold[2]), lambda answer: answer[0] == 200 and answer[1][0]["available"]
    )
    assert site.calls() > calls, "calls resume by themselves once Redis is back"


class Admin:
    """A signed-in admin over HTTP (session cookie and the pages' CSRF token)."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()), _NoRedirect()
        )
        self.token = ""

    def get(self, path: str) -> None:
        with self.opener.open(f"{self.url}{path}", timeout=30) as answer:
            found = _CSRF.search(answer.read().decode("utf-8", "replace"))
            if found:
                self.token = found.group(1)

    def post(self, path: str, form: dict[str, str]) -> int:
        body = urlencode({**form, "csrf_token": self.token}).encode()
        try:
            with self.opener.open(f"{self.url}{path}", data=body, timeout=60) as answer:
                return int(answer.status)
        except urllib.error.HTTPError as error:
            return error.code

    def log_in(self, password: str) -> None:
        self.get("/admin/login")
        assert self.post("/admin/login", {"password": password}) == 303
        self.get("/admin/settings")


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None  # a 303 is an answer to check, not a page to follow
