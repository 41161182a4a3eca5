"""The worker ``affsite serve`` runs, against real sockets on 127.0.0.1: clients that send
slowly never stall the server, are closed when their time is up, and the slowest make room
when too many arrive at once.

The first tests drive one worker's event loop step by step in this process (its clock is a
fake one); the slow ones run ``affsite serve`` itself.
"""

from __future__ import annotations

import os
import selectors
import socket
import statistics
import time
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from gunicorn.config import Config
from gunicorn.glogging import Logger

from affsite.cli.request_reader import RequestLimits
from affsite.cli.worker import worker_class
from affsite.clock import FakeClock

REQUEST_TIMEOUT = 4  # seconds; short so that the test sees the deadline close connections
FORM = b"Content-Type: application/x-www-form-urlencoded\r\n"


# --- one worker's event loop, stepped by hand ------------------------------------------------


def hello(environ: dict[str, Any], start_response: Callable[..., Any]) -> list[bytes]:
    start_response("200 OK", [("Content-Type", "text/plain"), ("Content-Length", "5")])
    return [b"hello"]


@pytest.fixture
def loop() -> Iterator[Loop]:
    running = Loop()
    yield running
    running.close()


class Loop:
    """A ``RequestReadingWorker`` on a loopback listener, with what ``init_process`` would set
    up, but no loop of its own: ``step`` turns it. 10 connections, 2 threads: at most 4 are
    read at once."""

    def __init__(self, seconds: float = 10, app: Callable[..., Any] = hello) -> None:
        cfg = Config()
        cfg.set("threads", 2)
        cfg.set("worker_connections", 10)
        cfg.set("keepalive", 2)
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.address = self.listener.getsockname()
        limits = RequestLimits(head_bytes=1024, body_bytes=1024, seconds=seconds)
        worker_type = worker_class(limits)
        worker_type.buffered_bytes = 3000
        self.worker = worker_type(0, os.getppid(), [self.listener], None, 30, cfg, Logger(cfg))
        self.clock = FakeClock(start=1000.0)
        worker = self.worker
        worker.clock = self.clock
        worker.wsgi = app
        worker.tpool = worker.get_thread_pool()
        worker.poller = selectors.DefaultSelector()
        worker.method_queue.init()
        worker.prepare_reading()
        worker.poller.register(
            worker.method_queue.fileno(),
            selectors.EVENT_READ,
            worker.method_queue.run_callbacks,
        )
        worker.set_accept_enabled(True)
        self.clients: list[socket.socket] = []

    def connect(self, data: bytes = b"") -> socket.socket:
        sock = socket.create_connection(self.address, timeout=2)
        self.clients.append(sock)
        if data:
            sock.sendall(data)
        self.step()
        return sock

    def step(self, turns: int = 10) -> None:
        for _ in range(turns):  # bounded: each turn waits at most 20 ms
            self.worker.wait_for_and_dispatch_events(timeout=0.02)
            self.worker.murder_pending()

    def close(self) -> None:
        for sock in self.clients:
            sock.close()
        self.clock.advance(60)  # every deadline passes: the worker closes what it still holds
        self.step()
        self.worker.tpool.shutdown(wait=False)
        self.worker.poller.close()
        self.worker.method_queue.close()
        self.worker.tmp.close()
        self.listener.close()


def closed(sock: socket.socket) -> bool:
    """Whether the server closed ``sock`` (after whatever it sent)."""
    sock.settimeout(0.2)
    try:
        while sock.recv(4096):
            pass
    except TimeoutError:
        return False
    except ConnectionResetError:
        pass
    return True


def test_a_request_is_answered_once_it_is_whole(loop: Loop) -> None:
    sock = loop.connect(b"GET / HTTP/1.1\r\nHost: x\r\n")
    loop.step()
    assert loop.worker.nr_conns == 1
    sock.sendall(b"Connection: close\r\n\r\n")
    loop.step()
    assert answer_within(sock, 2).endswith(b"\r\n\r\nhello")
    sock.close()  # the server waits for this (briefly) before it closes its side
    loop.step()
    assert loop.worker.nr_conns == 0


def test_a_request_not_whole_in_time_gets_408_and_is_closed(loop: Loop) -> None:
    sock = loop.connect(b"GET / HTTP/1.1\r\n")
    loop.clock.advance(9)
    loop.step()
    sock.sendall(b"Host: x\r\n")  # sending more does not buy time
    loop.step()
    assert not closed(sock)
    loop.clock.advance(2)
    loop.step()
    assert answer_within(sock, 1).startswith(b"HTTP/1.1 408 Request Timeout")
    assert loop.worker.nr_conns == 0


def test_when_too_many_are_read_the_idle_then_the_oldest_make_room(loop: Loop) -> None:
    slow = [loop.connect(b"GET / HTTP/1.1\r\n") for _ in range(3)]
    idle = loop.connect()
    assert not any(closed(sock) for sock in [*slow, idle])

    newcomer = loop.connect(b"GET / HTTP/1.1\r\n")  # a fifth: one must go
    assert closed(idle)
    assert not any(closed(sock) for sock in [*slow, newcomer])

    whole = loop.connect(b"GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
    loop.step()
    assert closed(slow[0])  # the oldest request still being read
    assert answer_within(whole, 2).endswith(b"hello")
    assert not any(closed(sock) for sock in [*slow[1:], newcomer])


def test_when_the_bytes_held_are_too_many_the_oldest_makes_room(loop: Loop) -> None:
    head = b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 1000\r\n\r\n"
    first = loop.connect(head + b"a" * 960)
    second = loop.connect(head + b"b" * 960)
    assert not closed(first) and not closed(second)
    third = loop.connect(head + b"c" * 960)  # 3030 bytes held: over 3000
    assert closed(first)
    assert not closed(second) and not closed(third)


def test_kept_alive_connections_wait_idle_for_keepalive_seconds(loop: Loop) -> None:
    sock = loop.connect(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
    loop.step()
    assert sock.recv(4096).endswith(b"hello")
    loop.clock.advance(1)
    loop.step()
    assert not closed(sock)
    loop.clock.advance(2)
    loop.step()
    assert closed(sock)
    assert loop.worker.nr_conns == 0


def test_a_client_that_does_not_read_its_answer_holds_a_thread_only_until_the_deadline() -> None:
    big = b"x" * (32 * 1024 * 1024)  # far more than the socket buffers on both sides hold

    def large(environ: dict[str, Any], start_response: Callable[..., Any]) -> list[bytes]:
        start_response("200 OK", [("Content-Length", str(len(big)))])
        return [big]

    loop = Loop(seconds=1, app=large)
    try:
        loop.connect(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")  # and never reads
        started = time.monotonic()
        while loop.worker.nr_conns and time.monotonic() - started < 5:  # bounded
            loop.step()
            loop.clock.advance(0.5)  # lets the closing connection's linger run out
        # The thread gave up writing after a second, and the connection was closed.
        assert loop.worker.nr_conns == 0
        assert time.monotonic() - started < 4
    finally:
        loop.close()


# --- affsite serve ------------------------------------------------------------------------


@pytest.fixture
def site(instance: Path, affsite_serve: Callable[..., Any]) -> str:
    """``affsite serve`` as the audit ran it: 2 workers x 4 threads."""
    env = {"AFFSITE_INSTANCE": str(instance)}
    args = ("--workers", "2", "--threads", "4", "--request-timeout", str(REQUEST_TIMEOUT))
    url: str = affsite_serve(env, *args).url
    return url


@pytest.fixture
def sockets() -> Iterator[list[socket.socket]]:
    opened: list[socket.socket] = []
    yield opened
    for sock in opened:
        sock.close()


def connect(url: str, opened: list[socket.socket]) -> socket.socket:
    parts = urlsplit(url)
    sock = socket.create_connection((parts.hostname, parts.port), timeout=5)
    opened.append(sock)
    return sock


def probe(url: str) -> float:
    """Seconds ``/healthz`` took to answer 200 (a time-out fails the test)."""
    started = time.monotonic()
    with urllib.request.urlopen(f"{url}/healthz", timeout=5) as answer:
        assert answer.status == 200
    return time.monotonic() - started


def dribble_and_probe(url: str, clients: list[socket.socket], piece: bytes) -> list[float]:
    """Each client sends ``piece`` every half second, for less than the request timeout;
    ``/healthz`` is probed meanwhile. Returns the probes' times."""
    times = []
    for _round in range(5):  # 2.5 s in all
        for sock in clients:
            sock.sendall(piece)
        times.append(probe(url))
        time.sleep(0.5)
    return times


def answer_within(sock: socket.socket, seconds: float) -> bytes:
    """What the server sends before it closes the connection (bounded by ``seconds``)."""
    sock.settimeout(seconds)
    received = b""
    try:
        while chunk := sock.recv(4096):
            received += chunk
    except ConnectionResetError:
        pass
    return received


@pytest.mark.slow
def test_hundreds_of_clients_sending_heads_slowly_neither_stall_the_server_nor_stay(
    site: str, sockets: list[socket.socket]
) -> None:
    clients = [connect(site, sockets) for _ in range(300)]
    for sock in clients:
        sock.sendall(b"GET / HTTP/1.1\r\nHost: localhost\r\n")

    times = dribble_and_probe(site, clients, b"X-Slow: 1\r\n")

    assert max(times) < 1.0, times
    assert statistics.median(times) < 0.25, times
    # Their time runs out: each is told so (408) and closed, none ever got an answer.
    answers = {answer_within(sock, REQUEST_TIMEOUT + 3).split(b"\r\n")[0] for sock in clients}
    assert answers == {b"HTTP/1.1 408 Request Timeout"}


@pytest.mark.slow
def test_clients_sending_bodies_slowly_hold_no_thread(
    site: str, sockets: list[socket.socket]
) -> None:
    # Whole heads announcing a form body that arrives a byte at a time: the app would read
    # the body (to check the CSRF token) in a thread, if it were given the request before the
    # body was all there.
    clients = [connect(site, sockets) for _ in range(40)]
    for sock in clients:
        sock.sendall(
            b"POST /admin/login HTTP/1.1\r\nHost: localhost\r\n"
            + FORM
            + b"Content-Length: 1000\r\n\r\npassword="
        )

    times = dribble_and_probe(site, clients, b"x")

    assert max(times) < 1.0, times
    answers = {answer_within(sock, REQUEST_TIMEOUT + 3).split(b"\r\n")[0] for sock in clients}
    assert answers == {b"HTTP/1.1 408 Request Timeout"}


@pytest.mark.slow
def test_a_request_sent_in_pieces_in_time_is_answered(
    site: str, sockets: list[socket.socket]
) -> None:
    sock = connect(site, sockets)
    pieces = (b"GET /hea", b"lthz HTTP/1.1\r\nHo", b"st: x\r\nConnection: close\r", b"\n\r\n")
    for piece in pieces:
        sock.sendall(piece)
        time.sleep(0.2)
    assert answer_within(sock, 2).startswith(b"HTTP/1.1 200 OK")


@pytest.mark.slow
def test_kept_alive_and_pipelined_requests_are_all_answered(
    site: str, sockets: list[socket.socket]
) -> None:
    sock = connect(site, sockets)
    get = b"GET /healthz HTTP/1.1\r\nHost: localhost\r\n\r\n"
    sock.sendall(get)
    time.sleep(0.3)
    sock.sendall(get * 2 + b"GET /healthz HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n")
    received = answer_within(sock, 5)  # the last request closes the connection
    assert received.count(b"HTTP/1.1 200 OK\r\n") == 4


@pytest.mark.slow
def test_a_client_that_expects_100_continue_gets_it_before_sending_its_body(
    site: str, sockets: list[socket.socket]
) -> None:
    sock = connect(site, sockets)
    sock.sendall(
        b"POST /admin/login HTTP/1.1\r\nHost: localhost\r\n" + FORM + b"Expect: 100-continue\r\n"
        b"Content-Length: 10\r\nConnection: close\r\n\r\n"
    )
    assert sock.recv(100) == b"HTTP/1.1 100 Continue\r\n\r\n"
    sock.sendall(b"password=x")
    answer = answer_within(sock, 5)
    assert answer.startswith(b"HTTP/1.1 400 BAD REQUEST")  # the app's: no CSRF token
    assert b"100 Continue" not in answer  # said once


REFUSED = {
    "body over MAX_CONTENT_LENGTH": (
        b"POST /admin/login HTTP/1.1\r\nHost: x\r\nContent-Length: 2000000\r\n\r\n",
        b"413",
    ),
    "huge head": (b"GET / HTTP/1.1\r\nHost: x\r\nX-Big: " + b"a" * 70_000 + b"\r\n\r\n", b"431"),
    "bare LF": (b"GET / HTTP/1.1\nHost: x\n\n", b"400"),
    "gzip coding": (
        b"POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip, chunked\r\n\r\n0\r\n\r\n",
        b"501",
    ),
}


@pytest.mark.slow
def test_requests_that_cannot_be_served_are_refused_before_a_thread_sees_them(
    site: str, sockets: list[socket.socket]
) -> None:
    answered = {}
    for name, (request_bytes, _status) in REFUSED.items():
        sock = connect(site, sockets)
        sock.sendall(request_bytes)
        answered[name] = answer_within(sock, 5).split(b"\r\n")[0].split()[1]
    assert answered == {name: status for name, (_request, status) in REFUSED.items()}
