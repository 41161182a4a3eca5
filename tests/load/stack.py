"""The production shape on 127.0.0.1: the sandbox gateway served over HTTP behind a relay that
can take it off the network, and ``affsite serve`` (gunicorn, several workers) on an instance
folder whose credentials point at it.

Time: the site and the sandbox read one shifted clock, wall-clock time plus the seconds in
``<instance>/clock-shift`` (the instance's ``config.py`` sets ``CLOCK`` to it; the sandbox in
this process reads the same number). ``advance()`` moves both at once, so entries go stale,
bans end and the breaker's pause runs out without waiting. The shift starts so that the
site's Beijing quota day has hours left: the quota counter never restarts mid-suite.

The numbers are the site's own: what ``affsite cache stats --json`` prints (quota used,
breaker, ban, new-product allowance), read through the same catalog call on the same
instance folder (the command itself takes a second to start; the warm-load scenario checks
that it agrees), and the calls the sandbox gateway received.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from conftest import wait_until_serving

from affsite.aliexpress.sandbox import DEMO_APP_KEY, DEMO_APP_SECRET, Sandbox
from affsite.aliexpress.sandbox.server import ServerHandle, serve
from affsite.cache import open_stores
from affsite.catalog import Catalog
from affsite.limits.quota import next_reset
from affsite.settings import SettingsStore

from .admin import Admin
from .relay import Relay
from .traffic import Answer, Client, LoadReport, run_load

TRACKING_ID = "load_site"
ADMIN_PASSWORD = "load-suite-admin-password"
WORKERS = 3
THREADS = 4
SHIFT_FILE = "clock-shift"
#: The site's settings for the suite: entries fresh for 10 minutes of the site's time (the
#: suite runs well under that in real time, so nothing goes stale unless the clock is moved),
#: a speed limit the load never meets, and the default quota (10 % of it for products only
#: public requests asked for).
CACHE_TTL = 600
SETTINGS: dict[str, object] = {
    "cache_ttl": CACHE_TTL,
    "rate_limit": 100,
    "daily_quota": 5000,
    "admin_reserve": 100,
    "new_product_share": 10,
}
#: A move of the site's clock that makes every warm entry stale (freshness +-10 % jitter)
#: and ends any failure memo (60 s) an earlier scenario left.
STALE_MOVE = CACHE_TTL * 1.2 + 120
# The instance's config.py: the site's clock is wall-clock time plus the shift file's number
# (read again at most every 20 ms, so a move reaches every worker at once).
CONFIG_PY = f'''
import time as _time
from pathlib import Path as _Path


class _ShiftedClock:
    def __init__(self, path):
        self._path = path
        self._shift = 0.0
        self._read_at = -1.0

    def __call__(self):
        now = _time.monotonic()
        if now - self._read_at > 0.02:
            try:
                self._shift = float(self._path.read_text())
                self._read_at = now
            except (OSError, ValueError):
                pass
        return _time.time() + self._shift


CLOCK = _ShiftedClock(_Path(__file__).with_name("{SHIFT_FILE}"))
PASSWORD_HASH_METHOD = "pbkdf2:sha256:1"
'''


def _epoch(value: float | str | None) -> float | None:
    """Epoch seconds from the catalog's stats (the command prints them as ISO 8601)."""
    if isinstance(value, str):
        return datetime.fromisoformat(value).timestamp()
    return float(value) if value else None


@dataclass(frozen=True)
class SiteState:
    """Calls the sandbox gateway received, and ``affsite cache stats --json``."""

    calls: int
    stats: dict[str, Any]

    @property
    def attempts(self) -> int:
        """Gateway attempts today by the site's quota counter."""
        return int(self.stats["quota"]["used"])

    @property
    def breaker(self) -> str:
        return str(self.stats["breaker"]["state"])

    @property
    def open_until(self) -> float | None:
        return _epoch(self.stats["breaker"]["open_until"])

    @property
    def ban_until(self) -> float | None:
        return _epoch(self.stats["ban_until"])

    @property
    def new_products(self) -> tuple[int, int]:
        """Calls granted today for products only public requests asked for, and the limit."""
        share = self.stats["new_products"]
        return int(share["used"]), int(share["limit"])

    def __str__(self) -> str:
        return (
            f"gateway calls={self.calls} quota used={self.attempts} breaker={self.breaker} "
            f"ban={'yes' if self.ban_until else 'no'} new-product share used="
            f"{self.new_products[0]}/{self.new_products[1]}"
        )


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


class ShiftedClock:
    """This process's side of the shared clock; ``set_shift`` moves the site's too."""

    def __init__(self, path: Path) -> None:
        self._path = path
        self.shift = 0.0

    def __call__(self) -> float:
        return time.time() + self.shift

    def set_shift(self, shift: float) -> None:
        self.shift = shift
        # Replaced whole, never rewritten in place: a worker must not read it half-written.
        temporary = self._path.with_name(self._path.name + ".new")
        temporary.write_text(repr(shift))
        os.replace(temporary, self._path)


def early_in_the_quota_day(now: float) -> float:
    """A shift (>= 0) that leaves the quota day at least four hours of the site's time."""
    reset = next_reset(now)
    return 0.0 if reset - now > 4 * 3600 else reset - now + 3600


@dataclass
class LoadStack:
    """Everything the load and fault scenarios drive (see the module docstring)."""

    sandbox: Sandbox
    handle: ServerHandle
    relay: Relay
    instance: Path
    clock: ShiftedClock
    env: dict[str, str]
    folder: Path
    process: subprocess.Popen[bytes] | None = None
    port: int = 0
    warm_ids: list[str] = field(default_factory=list)
    view: Catalog | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def log(self) -> Path:
        return self.folder / "serve.log"

    def output(self) -> str:
        return self.log.read_text(errors="replace")

    # --- the site ------------------------------------------------------------------------

    def start(self) -> None:
        command = [sys.executable, "-c", "from affsite.cli import main; main()", "serve"]
        command += ["--bind", f"127.0.0.1:{self.port}", "--workers", str(WORKERS)]
        command += ["--threads", str(THREADS), "--request-timeout", "5"]
        with self.log.open("wb") as out:
            self.process = subprocess.Popen(
                command, env=self.env, cwd=self.folder, stdout=out, stderr=subprocess.STDOUT
            )
        wait_until_serving(self.process, self.url, self.output)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)

    def worker_pids(self) -> list[int]:
        """The gunicorn workers (children of the ``affsite serve`` process)."""
        assert self.process is not None
        pid = self.process.pid
        try:
            text = Path(f"/proc/{pid}/task/{pid}/children").read_text()
        except OSError:
            return []
        return [int(part) for part in text.split()]

    def get(self, path: str, headers: dict[str, str] | None = None) -> Answer:
        client = Client(self.url)
        try:
            return client.request(path, headers=headers)
        finally:
            client.close()

    # --- the site's own views of its state ------------------------------------------------

    def cli(self, *args: str, timeout: float = 60) -> subprocess.CompletedProcess[str]:
        command = [sys.executable, "-c", "from affsite.cli import main; main()", *args]
        return subprocess.run(
            command,
            env=self.env,
            cwd=self.folder,
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )

    def cli_stats(self) -> dict[str, Any]:
        """``affsite cache stats --json`` (a process of its own: about a second)."""
        done = self.cli("cache", "stats", "--json")
        assert done.returncode == 0, done.stderr
        data: dict[str, Any] = json.loads(done.stdout)
        return data

    def stats(self) -> dict[str, Any]:
        """What ``affsite cache stats --json`` prints, from the same catalog call made here
        on the same instance folder (the command costs a second to start; this, a few ms).
        """
        if self.view is None:
            settings = SettingsStore(self.instance, environ=self.env)
            stores = open_stores(self.instance / "cache")
            self.view = Catalog(settings=settings.load, stores=stores, clock=self.clock)
        return self.view.stats().to_json()

    def calls(self) -> int:
        """Calls that reached the sandbox gateway."""
        return self.sandbox.call_count()

    def calls_for(self, ids: Iterable[str]) -> int:
        """Calls that reached the sandbox gateway asking for any of ``ids``."""
        wanted = set(ids)
        return sum(
            1
            for call in self.sandbox.calls_snapshot()
            if wanted & set(call.params.get("product_ids", "").split(","))
        )

    def state(self, *, settle: bool = True) -> SiteState:
        """The gateway's call count and the site's own numbers. With ``settle``, once no call
        is being answered and neither count has moved for a moment (renewals behind earlier
        answers may still be running; bounded by about 20 s).
        """
        began = time.monotonic()
        state = SiteState(calls=self.calls(), stats=self.stats())
        steady = 0
        for _ in range(200 if settle else 0):
            time.sleep(0.1)
            now = SiteState(calls=self.calls(), stats=self.stats())
            quiet = (now.calls, now.attempts) == (state.calls, state.attempts)
            steady = steady + 1 if quiet and not self.sandbox.answering() else 0
            state = now
            if steady >= 3:
                break
        print(f"[state] {state} (read in {time.monotonic() - began:.1f}s)")
        return state

    def freshen(self) -> LoadReport:
        """Every warm product renewed now (the clock moved past their freshness, then each
        visited until fresh): none expires, so none is renewed, in the next ten minutes."""
        self.advance(STALE_MOVE)
        return self.rewarm()

    def rewarm(self) -> LoadReport:
        """Visit every warm product until the site answers them all fresh (bounded): after
        the clock moved or the gateway failed, stale ones are renewed behind the answers."""
        groups = [self.warm_ids[i : i + 40] for i in range(0, len(self.warm_ids), 40)]
        paths = [f"/api/v1/products?ids={','.join(group)}" for group in groups]
        report = LoadReport("rewarm")
        deadline = time.monotonic() + 40
        for round_number in range(30):
            report = run_load(
                self.url,
                paths,
                label=f"rewarm round {round_number}",
                clients=2,
                requests=len(paths),
                seconds=20,
            )
            if report.x_cache == {"HIT": len(paths)} or time.monotonic() > deadline:
                break
            # Time passes for the site between rounds, once the renewals behind the answers
            # are done: one that met the breaker's probe held by another worker is tried
            # again after its failure memo (60 s).
            self.state()
            self.advance(20)
        return report

    # --- time and faults -------------------------------------------------------------------

    def advance(self, seconds: float, *, then: Callable[[], None] | None = None) -> None:
        """Move the site's and the sandbox's clock forward; ``then`` runs right after the
        move, before the workers have all seen it (they re-read it every 20 ms).

        Calls being answered are waited for first (bounded): moving the clock under a call
        would make it miss its deadline, which no real clock does.
        """
        for _ in range(150):
            if not self.sandbox.answering():
                break
            time.sleep(0.1)
        self.clock.set_shift(self.clock.shift + seconds)
        if then is not None:
            then()
        time.sleep(0.1)

    def heal(self) -> None:
        """The gateway answers normally again (faults cleared, on the network)."""
        self.sandbox.clear_faults()
        self.relay.up()

    def admin(self) -> Admin:
        admin = Admin(self.url)
        admin.log_in(ADMIN_PASSWORD)
        return admin

    @contextlib.contextmanager
    def settings_restored(self, names: Iterable[str]) -> Iterator[Admin]:
        """A signed-in admin; afterwards the settings ``names`` are saved back as they were,
        through the settings page."""
        before = SettingsStore(self.instance, environ=self.env).load()
        admin = self.admin()
        try:
            yield admin
        finally:
            try:
                answer = admin.save_settings({name: str(getattr(before, name)) for name in names})
                assert answer.status == 303, answer.body[:500]
            finally:
                admin.close()


def make_stack(folder: Path, warm_count: int) -> LoadStack:
    """Serve the sandbox, start the site on it and warm ``warm_count`` products."""
    sandbox_clock = ShiftedClock(folder / "instance" / SHIFT_FILE)
    instance = folder / "instance"
    instance.mkdir(mode=0o700)
    sandbox_clock.set_shift(early_in_the_quota_day(time.time()))
    (instance / "config.py").write_text(CONFIG_PY)
    SettingsStore(instance, environ={}).save(SETTINGS)
    sandbox = Sandbox(clock=sandbox_clock, tracking_ids=(TRACKING_ID,))
    handle = serve(sandbox)
    relay = Relay(handle.port)
    env = {k: v for k, v in os.environ.items() if not k.startswith("AFFSITE_")}
    env.update(
        AFFSITE_INSTANCE=str(instance),
        AFFSITE_API_URL=f"{relay.url}/sync",
        AFFSITE_APP_KEY=DEMO_APP_KEY,
        AFFSITE_APP_SECRET=DEMO_APP_SECRET,
        AFFSITE_TRACKING_ID=TRACKING_ID,
        AFFSITE_ADMIN_PASSWORD=ADMIN_PASSWORD,
    )
    port = free_port()
    # The address visitors use, as docs/deploy.md says to set: pages name it, never a Host.
    env["AFFSITE_PUBLIC_URL"] = f"http://127.0.0.1:{port}"
    stack = LoadStack(sandbox, handle, relay, instance, sandbox_clock, env, folder, port=port)
    try:
        stack.start()
        stack.warm_ids = sandbox.catalog.promotable_ids()[:warm_count]
        done = stack.cli("products", "--json", *stack.warm_ids)
        assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    except BaseException:
        stop_stack(stack)
        raise
    return stack


def stop_stack(stack: LoadStack) -> None:
    with contextlib.suppress(Exception):
        stack.stop()
    if stack.view is not None:
        stack.view.close()
    stack.relay.down()
    stack.handle.shutdown()
