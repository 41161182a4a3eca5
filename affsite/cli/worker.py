"""The gunicorn worker ``affsite serve`` runs: gunicorn's threaded worker, except that its event
loop reads every request whole before a worker thread sees it.

gunicorn's own ``gthread`` worker hands a connection to a thread as soon as its first bytes
arrive, and the thread then reads the rest with blocking reads: eight clients sending one
header line every few seconds hold eight threads, and the site stops answering. Here the main
thread reads each connection without blocking into a :class:`RequestReader`, with bounds on the
head, the body (the app's ``MAX_CONTENT_LENGTH``), the time a request may take, the number of
connections being read and the bytes they hold. Only a complete request goes to the thread pool,
replayed to gunicorn's parser from memory, so no thread ever waits for a client to send. The
answer is written with the same deadline, so a client that does not read cannot hold a thread
for longer than that either; connections are closed from the event loop, never waiting on the
client there.
"""

from __future__ import annotations

import contextlib
import errno
import selectors
import socket
import time
from concurrent.futures import Future
from dataclasses import dataclass
from functools import partial
from http import HTTPStatus
from typing import Any, ClassVar

from gunicorn import util
from gunicorn.http.parser import RequestParser
from gunicorn.workers.gthread import STOP_KEEPALIVE_LINGER, TConn, ThreadWorker

from affsite.cli.request_reader import Complete, Refusal, RequestLimits, RequestReader
from affsite.clock import Clock

__all__ = ["RequestReadingWorker", "worker_class"]

_RECV_BYTES = 64 * 1024
# A closed connection's unread input is drained for this long at most (RFC 9112 section 9.6:
# closing with unread bytes resets the connection and can cut the answer short).
_LINGER_SECONDS = 2.0
_LINGER_BYTES = 64 * 1024
_SWEEP_SECONDS = 0.25
_SHED_REPORT_SECONDS = 60.0
_CONTINUE = b"HTTP/1.1 100 Continue\r\n\r\n"
_TIMED_OUT = Refusal(status=HTTPStatus.REQUEST_TIMEOUT, detail="not sent whole in time").response()


@dataclass
class _Incoming:
    reader: RequestReader
    deadline: float
    fresh: bool  # a new connection: its deadline runs from accept, not from its first byte
    started: bool = False
    continue_sent: bool = False


class RequestReadingWorker(ThreadWorker):  # type: ignore[misc]  # gunicorn is untyped
    """See the module docstring. ``limits`` is set by :func:`worker_class`."""

    limits: ClassVar[RequestLimits] = RequestLimits()
    #: Bytes all connections being read may hold together in one worker.
    buffered_bytes: ClassVar[int] = 64 * 1024 * 1024

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        #: Seconds for deadlines (monotonic: a wall-clock step must not expire them).
        self.clock: Clock = time.monotonic

    @classmethod
    def check_config(cls, cfg: Any, log: Any) -> None:
        super().check_config(cfg, log)
        # The event loop reads plain HTTP/1.1 bytes: TLS, HTTP/2, the PROXY protocol and uWSGI
        # belong to the proxy in front, and affsite serve never turns them on.
        if cfg.is_ssl or cfg.proxy_protocol != "off" or getattr(cfg, "protocol", "http") != "http":
            raise RuntimeError(f"{cls.__name__} serves plain HTTP/1.1 only")
        if "h2" in getattr(cfg, "http_protocols", ()):
            raise RuntimeError(f"{cls.__name__} serves plain HTTP/1.1 only")

    def init_process(self) -> None:
        self.prepare_reading()
        super().init_process()  # runs the event loop; never returns

    def prepare_reading(self) -> None:
        """The event loop's own state (before ``init_process`` runs the loop)."""
        self._incoming: dict[TConn, _Incoming] = {}
        self._lingering: dict[TConn, tuple[float, int]] = {}
        self._rest: dict[TConn, bytes] = {}
        self._buffered = 0
        self._next_sweep = 0.0
        # gthread stops accepting at worker_connections, counting every connection it holds:
        # connections being read may take half, so that accepting (and with it making room
        # by closing the slowest) never stops because of them.
        self._reading_cap = max(1, (self.cfg.worker_connections - self.cfg.threads) // 2)
        self._lingering_cap = max(1, self._reading_cap // 4)
        self._shed = 0
        self._shed_reported = self.clock()

    # -- the event loop (main thread) ----------------------------------------------------------

    def accept(self, listener: socket.socket) -> None:
        try:
            sock, client = listener.accept()
        except OSError as e:
            if e.errno not in (errno.EAGAIN, errno.ECONNABORTED, errno.EWOULDBLOCK):
                raise
            return
        self.nr_conns += 1
        conn = TConn(self.cfg, sock, client, listener.getsockname())  # non-blocking
        self._read(conn, b"", deadline=self.clock() + self.limits.seconds, fresh=True)

    def _read(self, conn: TConn, pending: bytes, *, deadline: float, fresh: bool) -> None:
        self._make_room(incoming=1)
        incoming = _Incoming(RequestReader(self.limits), deadline=deadline, fresh=fresh)
        self._incoming[conn] = incoming
        self.poller.register(conn.sock, selectors.EVENT_READ, partial(self._readable, conn))
        if pending:
            self._take(conn, incoming, pending)

    def _readable(self, conn: TConn, _sock: socket.socket) -> None:
        incoming = self._incoming.get(conn)
        if incoming is None:
            return
        data = _receive(conn.sock)
        if data is None:
            return
        if not data:  # the client went away (or reset) before its request was whole
            self._stop_reading(conn)
            self._close(conn, graceful=False)
            return
        self._take(conn, incoming, data)

    def _take(self, conn: TConn, incoming: _Incoming, data: bytes) -> None:
        if not incoming.started:
            incoming.started = True
            if not incoming.fresh:  # a kept-alive connection: the request's time starts now
                incoming.deadline = self.clock() + self.limits.seconds
        before = incoming.reader.buffered
        verdict = incoming.reader.feed(data)
        self._buffered += incoming.reader.buffered - before
        if verdict is None:
            if incoming.reader.expects_continue and not incoming.continue_sent:
                # The client waits for this before it sends the body it announced.
                incoming.continue_sent = True
                _send_quietly(conn.sock, _CONTINUE)
            self._make_room(incoming=0)
            return
        self._stop_reading(conn)
        if isinstance(verdict, Refusal):
            self.log.warning(
                "Refused a request from ip=%s: %s (%d)",
                _ip(conn),
                verdict.detail,
                verdict.status.value,
            )
            _send_quietly(conn.sock, verdict.response())
            self._close(conn, graceful=True)
        else:
            self._dispatch(conn, verdict)

    def _dispatch(self, conn: TConn, request: Complete) -> None:
        # gunicorn's parser reads this request from memory and meets the end of its input
        # right after it: a thread never reads the socket.
        conn.parser = RequestParser(self.cfg, [request.data], conn.client)
        conn.initialized = True
        conn.data_ready = True
        self._rest[conn] = request.rest
        self.enqueue_req(conn)

    def finish_request(self, conn: TConn, fs: Future[Any]) -> None:
        rest = self._rest.pop(conn, b"")
        try:
            keep = not fs.cancelled() and fs.result() is True
        except Exception:  # a thread's failure closes its connection, nothing more
            keep = False
        # Bytes gunicorn left unread mean it framed the request differently from the reader:
        # where the next request starts is then unknown, so the connection is closed.
        if keep and not conn.parser.unreader.buf.getvalue():
            conn.sock.setblocking(False)
            idle = self.cfg.keepalive if self.alive else STOP_KEEPALIVE_LINGER
            self._read(conn, rest, deadline=self.clock() + idle, fresh=False)
        else:
            self._close(conn, graceful=True)

    def _stop_reading(self, conn: TConn) -> _Incoming:
        incoming = self._incoming.pop(conn)
        self._buffered -= incoming.reader.buffered
        _unregister(self.poller, conn.sock)
        return incoming

    def _close(self, conn: TConn, *, graceful: bool) -> None:
        if graceful:
            try:
                conn.sock.shutdown(socket.SHUT_WR)
            except OSError:
                graceful = False
        if not graceful:
            self.nr_conns -= 1
            util.close(conn.sock)
            return
        conn.sock.setblocking(False)
        if len(self._lingering) >= self._lingering_cap:  # the oldest loses its courtesy
            self._end_linger(next(iter(self._lingering)))
        self._lingering[conn] = (self.clock() + _LINGER_SECONDS, 0)
        self.poller.register(conn.sock, selectors.EVENT_READ, partial(self._drain, conn))

    def _drain(self, conn: TConn, _sock: socket.socket) -> None:
        until, drained = self._lingering[conn]
        data = _receive(conn.sock)
        if data is None:
            return
        drained += len(data)
        if data and drained < _LINGER_BYTES:
            self._lingering[conn] = (until, drained)
        else:
            self._end_linger(conn)

    def _end_linger(self, conn: TConn) -> None:
        del self._lingering[conn]
        _unregister(self.poller, conn.sock)
        self.nr_conns -= 1
        util.close(conn.sock)

    def murder_pending(self) -> None:
        # Called by gthread's loop on every turn, while running and while stopping.
        super().murder_pending()
        now = self.clock()
        if now < self._next_sweep:
            return
        self._next_sweep = now + _SWEEP_SECONDS
        for conn, incoming in list(self._incoming.items()):
            if not self.alive and not incoming.started:
                incoming.deadline = min(incoming.deadline, now + STOP_KEEPALIVE_LINGER)
            if now >= incoming.deadline:
                self._stop_reading(conn)
                if incoming.started:
                    self.log.debug("Closed a request not sent whole in time, ip=%s", _ip(conn))
                    _send_quietly(conn.sock, _TIMED_OUT)
                self._close(conn, graceful=False)
        for conn, (until, _drained) in list(self._lingering.items()):
            if now >= until:
                self._end_linger(conn)
        if self._shed and now - self._shed_reported >= _SHED_REPORT_SECONDS:
            self.log.warning(
                "Closed %d slow connections to make room (%d being read now)",
                self._shed,
                len(self._incoming),
            )
            self._shed, self._shed_reported = 0, now

    def _make_room(self, *, incoming: int) -> None:
        """Close the connections read the longest (idle ones first) while the worker holds
        more connections or bytes than it may: a flood of slow clients then costs the
        slowest of them their connection, never the server its answers."""
        while self._incoming and (
            len(self._incoming) + incoming > self._reading_cap
            or self._buffered > self.buffered_bytes
        ):
            victim = next((c for c, i in self._incoming.items() if not i.started), None)
            if victim is None:
                victim = next(iter(self._incoming))
            self._stop_reading(victim)
            self._close(victim, graceful=False)
            self._shed += 1

    # -- worker threads ------------------------------------------------------------------------

    def handle_request(self, req: Any, conn: TConn) -> bool:
        # The event loop already read the body (and said "100 Continue" if it was asked to).
        req._expected_100_continue = False
        # Writing the answer has the same deadline as reading the request had: a client that
        # stops reading cannot hold this thread either.
        conn.sock.settimeout(self.limits.seconds)
        try:
            return bool(super().handle_request(req, conn))
        except TimeoutError:
            self.log.debug("Closed a connection that did not take its answer, ip=%s", _ip(conn))
            raise StopIteration from None


def worker_class(limits: RequestLimits) -> type[RequestReadingWorker]:
    """A :class:`RequestReadingWorker` with these limits, for gunicorn's ``worker_class``."""
    return type("AffsiteWorker", (RequestReadingWorker,), {"limits": limits})


def _receive(sock: socket.socket) -> bytes | None:
    """What a readable non-blocking socket holds: None when nothing after all (a spurious
    wake-up), ``b""`` when the client closed or reset the connection."""
    try:
        return sock.recv(_RECV_BYTES)
    except (BlockingIOError, InterruptedError):
        return None
    except OSError:
        return b""


def _send_quietly(sock: socket.socket, data: bytes) -> None:
    # Best effort from the event loop: a few bytes fit any fresh socket buffer, and a client
    # that does not take them loses only this courtesy.
    with contextlib.suppress(OSError):
        sock.send(data)


def _unregister(poller: selectors.BaseSelector, sock: socket.socket) -> None:
    with contextlib.suppress(KeyError, ValueError, OSError):
        poller.unregister(sock)


def _ip(conn: TConn) -> str:
    client = conn.client
    return str(client[0]) if isinstance(client, tuple) else str(client)
