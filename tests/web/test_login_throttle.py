"""The login throttle: attempts counted before the password is checked, atomically in every
process; hashes bounded per process; limits per source, so strangers cannot lock the admin out.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from werkzeug.security import check_password_hash

from affsite.clock import FakeClock
from affsite.web import auth
from affsite.web.login_throttle import LoginThrottle, Outcome, Verdict, source_of

from .conftest import MakeApp
from .helpers import ADMIN_PASSWORD, password_store

WRONG = "wrong guess"


def attempt(client: FlaskClient, password: str, address: str = "203.0.113.7") -> int:
    response = client.post(
        "/admin/login",
        data={"password": password},
        environ_base={"REMOTE_ADDR": address},
    )
    return response.status_code


class HashSpy:
    """Stands in for werkzeug's ``check_password_hash``: counts the calls, records how many
    ran at once, and holds each caller until ``release`` is set.
    """

    def __init__(self, real: Callable[[str, str], bool]) -> None:
        self.real = real
        self.calls = 0
        self.inside = 0
        self.most_at_once = 0
        self.release = threading.Event()
        self._lock = threading.Lock()

    def __call__(self, pwhash: str, password: str) -> bool:
        with self._lock:
            self.calls += 1
            self.inside += 1
            self.most_at_once = max(self.most_at_once, self.inside)
        try:
            self.release.wait(timeout=10)
            return self.real(pwhash, password)
        finally:
            with self._lock:
                self.inside -= 1


@pytest.fixture
def spy(monkeypatch: pytest.MonkeyPatch) -> HashSpy:
    spy = HashSpy(check_password_hash)
    monkeypatch.setattr("affsite.web.auth.check_password_hash", spy)
    return spy


def run_at_once(count: int, spy: HashSpy, work: Callable[[int], int]) -> list[int]:
    """Run ``work(0..count-1)`` in ``count`` threads at once; let the hashes finish only
    when every thread is either inside the hash or done. Returns the results in order.
    """
    results: list[int] = [0] * count
    done = threading.Semaphore(0)

    def run(n: int) -> None:
        try:
            results[n] = work(n)
        finally:
            done.release()

    threads = [threading.Thread(target=run, args=(n,)) for n in range(count)]
    for thread in threads:
        thread.start()
    finished = 0
    for _ in range(1000):  # bounded: about 10 s
        while done.acquire(timeout=0.01):
            finished += 1
        if finished + spy.inside >= count:
            break
    spy.release.set()
    for thread in threads:
        thread.join(timeout=30)
    return results


# --- issue 8 row 7: strangers cannot lock the admin out --------------------------------------


def test_concurrent_wrong_logins_from_one_address_reach_the_hash_at_most_the_limit(
    client: FlaskClient, spy: HashSpy
) -> None:
    results = run_at_once(20, spy, lambda n: attempt(client, WRONG))
    assert spy.calls <= 5
    assert results.count(401) == spy.calls
    assert set(results) <= {401, 429}
    spy.release.set()
    while attempt(client, WRONG) == 401:  # the address gets what is left of its 5, no more
        assert spy.calls <= 5
    assert spy.calls == 5
    assert attempt(client, ADMIN_PASSWORD) == 429


def test_at_most_one_password_hash_runs_at_once_in_a_process(
    client: FlaskClient, spy: HashSpy
) -> None:
    results = run_at_once(20, spy, lambda n: attempt(client, WRONG, f"198.51.100.{n}"))
    assert spy.most_at_once == 1  # one scrypt (128 MiB) at a time, not 20
    assert results.count(429) == 20 - spy.calls  # the rest were answered at once, unhashed
    assert spy.calls >= 1


def test_a_busy_answer_asks_to_retry_in_a_second_and_costs_no_attempt(
    client: FlaskClient, app: Flask
) -> None:
    throttle = auth.login_throttle(app)
    entered, release = threading.Event(), threading.Event()

    def slow_check() -> bool:
        entered.set()
        release.wait(timeout=10)
        return False

    holder = threading.Thread(target=throttle.check, args=("192.0.2.1", slow_check))
    holder.start()
    assert entered.wait(timeout=10)
    try:
        response = client.post(
            "/admin/login",
            data={"password": ADMIN_PASSWORD},
            environ_base={"REMOTE_ADDR": "203.0.113.7"},
        )
        assert response.status_code == 429
        assert response.headers["Retry-After"] == "1"
        assert "busy checking another password" in response.get_data(as_text=True)
    finally:
        release.set()
        holder.join(timeout=10)
    assert attempt(client, ADMIN_PASSWORD) == 303


def test_wrong_logins_from_sixty_addresses_never_refuse_the_right_password(
    make_app: MakeApp,
) -> None:
    app = make_app(PROXY_FIX=1)  # X-Forwarded-For names the visitor
    password_store(app).set(ADMIN_PASSWORD)
    client = app.test_client()

    def login(password: str, address: str) -> int:
        return client.post(
            "/admin/login", data={"password": password}, headers={"X-Forwarded-For": address}
        ).status_code

    for n in range(60):
        assert login(WRONG, f"198.51.100.{n}") == 401
    assert login(ADMIN_PASSWORD, "192.0.2.44") == 303  # a fresh address: the admin


def test_under_attack_each_address_gets_fewer_attempts_but_a_fresh_one_still_gets_checked(
    make_app: MakeApp, clock: FakeClock
) -> None:
    app = make_app(LOGIN_MAX_FAILURES_GLOBAL=6)
    password_store(app).set(ADMIN_PASSWORD)
    client = app.test_client()
    for n in range(6):
        assert attempt(client, WRONG, address=f"192.0.2.{n}") == 401
    # Six failures from everyone: each address is down to 2 attempts in the window.
    assert attempt(client, WRONG, address="192.0.2.0") == 401
    assert attempt(client, ADMIN_PASSWORD, address="192.0.2.0") == 429
    # The admin, from an address of its own, may still make one typing mistake.
    assert attempt(client, WRONG, address="192.0.2.200") == 401
    assert attempt(client, ADMIN_PASSWORD, address="192.0.2.200") == 303
    client.post("/admin/logout")
    clock.advance(901)
    assert attempt(client, ADMIN_PASSWORD, address="192.0.2.0") == 303


def test_addresses_of_one_ipv6_subnet_share_one_limit(client: FlaskClient) -> None:
    for n in range(1, 6):
        assert attempt(client, WRONG, address=f"2001:db8:0:1::{n:x}") == 401
    assert attempt(client, ADMIN_PASSWORD, address="2001:db8:0:1::ff") == 429
    assert attempt(client, ADMIN_PASSWORD, address="2001:db8:0:2::1") == 303


def test_when_attempts_cannot_be_counted_no_password_is_checked(
    client: FlaskClient, instance: Path, spy: HashSpy
) -> None:
    spy.release.set()
    (instance / "login_failures.sqlite3").write_bytes(b"this is not a database" * 100)
    response = client.post(
        "/admin/login", data={"password": ADMIN_PASSWORD}, environ_base={"REMOTE_ADDR": "1.2.3.4"}
    )
    assert response.status_code == 503
    assert "cannot keep its sign-in records" in response.get_data(as_text=True)
    assert spy.calls == 0
    assert client.get("/admin/").status_code == 303


# --- limits through the login page -----------------------------------------------------------


def test_five_failures_lock_the_client_out_for_fifteen_minutes(
    client: FlaskClient, clock: FakeClock
) -> None:
    for _ in range(5):
        assert attempt(client, WRONG) == 401
    assert attempt(client, ADMIN_PASSWORD) == 429  # even the right password waits
    response = client.post(
        "/admin/login", data={"password": "x"}, environ_base={"REMOTE_ADDR": "203.0.113.7"}
    )
    assert "Too many failed sign-in attempts" in response.get_data(as_text=True)
    assert int(response.headers["Retry-After"]) == 900

    assert attempt(client, ADMIN_PASSWORD, address="198.51.100.2") == 303  # others may
    client.post("/admin/logout")

    clock.advance(899)
    assert attempt(client, ADMIN_PASSWORD) == 429
    clock.advance(2)
    assert attempt(client, ADMIN_PASSWORD) == 303


def test_a_successful_login_clears_the_clients_failures(
    client: FlaskClient, clock: FakeClock
) -> None:
    for _ in range(4):
        assert attempt(client, WRONG) == 401
    assert attempt(client, ADMIN_PASSWORD) == 303
    client.post("/admin/logout")
    for _ in range(4):
        assert attempt(client, WRONG) == 401
    assert attempt(client, ADMIN_PASSWORD) == 303


def test_failures_are_shared_between_app_instances(make_app: MakeApp) -> None:
    first = make_app()
    password_store(first).set(ADMIN_PASSWORD)
    second = make_app()  # another worker process on the same instance folder
    for _ in range(3):
        assert attempt(first.test_client(), WRONG) == 401
    for _ in range(2):
        assert attempt(second.test_client(), WRONG) == 401
    assert attempt(first.test_client(), ADMIN_PASSWORD) == 429
    assert attempt(second.test_client(), ADMIN_PASSWORD) == 429


def test_a_head_request_is_not_a_failed_login(client: FlaskClient) -> None:
    for _ in range(10):
        assert client.head("/admin/login").status_code == 200
    assert attempt(client, ADMIN_PASSWORD) == 303


# --- LoginThrottle on its own ----------------------------------------------------------------


def wrong() -> bool:
    return False


def right() -> bool:
    return True


def test_the_count_is_atomic_across_processes(tmp_path: Path, clock: FakeClock) -> None:
    # Twenty throttles on one file stand for twenty worker processes, each with its own
    # one-check-at-a-time bound: only the shared count can keep them to the limit.
    path = tmp_path / "failures.sqlite3"
    throttles = [LoginThrottle(path, max_per_source=5, clock=clock) for _ in range(20)]
    spy = HashSpy(lambda _hash, _password: False)

    def one_process(n: int) -> int:
        outcome = throttles[n].check("192.0.2.9", lambda: spy("hash", "guess"))
        return 1 if outcome.verdict is Verdict.WRONG else 0

    assert sum(run_at_once(20, spy, one_process)) == 5
    assert spy.calls == 5


def test_an_attempt_is_counted_before_the_check_returns(tmp_path: Path, clock: FakeClock) -> None:
    throttle = LoginThrottle(tmp_path / "f.sqlite3", max_per_source=1, clock=clock)
    seen: list[Outcome] = []

    def check_while_checking() -> bool:
        # A second throttle (another process) asks while the first check is still running.
        other = LoginThrottle(tmp_path / "f.sqlite3", max_per_source=1, clock=clock)
        seen.append(other.check("192.0.2.9", right))
        return False

    assert throttle.check("192.0.2.9", check_while_checking).verdict is Verdict.WRONG
    assert seen == [Outcome(verdict=Verdict.THROTTLED, retry_after=900)]


def test_retry_after_counts_from_the_oldest_failure_that_still_counts(
    tmp_path: Path, clock: FakeClock
) -> None:
    throttle = LoginThrottle(tmp_path / "f.sqlite3", max_per_source=2, window=100, clock=clock)
    throttle.check("a", wrong)
    clock.advance(30)
    throttle.check("a", wrong)
    assert throttle.check("a", right) == Outcome(verdict=Verdict.THROTTLED, retry_after=70)
    clock.advance(70)
    assert throttle.check("a", wrong).verdict is Verdict.WRONG
    assert throttle.check("a", right).retry_after == 30


def test_the_right_password_forgets_only_that_sources_failures(
    tmp_path: Path, clock: FakeClock
) -> None:
    throttle = LoginThrottle(tmp_path / "f.sqlite3", max_per_source=2, clock=clock)
    for source in ("a", "b"):
        throttle.check(source, wrong)
    assert throttle.check("a", right).verdict is Verdict.ACCEPTED
    assert throttle.check("a", wrong).verdict is Verdict.WRONG
    assert throttle.check("a", right).verdict is Verdict.ACCEPTED
    assert throttle.check("b", wrong).verdict is Verdict.WRONG
    assert throttle.check("b", right).verdict is Verdict.THROTTLED


def test_a_check_that_raises_still_counts_and_frees_its_slot(
    tmp_path: Path, clock: FakeClock
) -> None:
    throttle = LoginThrottle(tmp_path / "f.sqlite3", max_per_source=1, clock=clock)

    def broken() -> bool:
        raise ValueError("hash file damaged")

    with pytest.raises(ValueError):
        throttle.check("a", broken)
    assert throttle.check("a", right).verdict is Verdict.THROTTLED
    assert throttle.check("b", right).verdict is Verdict.ACCEPTED  # not left BUSY


@pytest.mark.parametrize(
    ("address", "source"),
    [
        ("203.0.113.7", "203.0.113.7"),
        ("2001:db8:1:2:3:4:5:6", "2001:db8:1:2::/64"),
        ("2001:DB8:1:2::9", "2001:db8:1:2::/64"),
        ("::ffff:203.0.113.7", "203.0.113.7"),
        ("unknown", "unknown"),
        ("x" * 500, "x" * 64),
    ],
)
def test_source_of(address: str, source: str) -> None:
    assert source_of(address) == source
