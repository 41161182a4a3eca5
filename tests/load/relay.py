"""A TCP relay on 127.0.0.1 that can take the gateway off the network and put it back.

The sandbox's faults answer (errors, garbage, slowly); a gateway that is down does not answer
at all. The site is pointed at this relay instead of the sandbox server: ``down()`` closes its
listening socket and cuts every open connection, so the site's pooled connections break and
new ones are refused by the kernel, as with a crashed gateway; ``up()`` listens on the same
port again.
"""

from __future__ import annotations

import contextlib
import socket
import threading

_CHUNK = 64 * 1024
_ACCEPT_POLL = 0.2  # seconds between checks of the stop flag while waiting for connections


class Relay:
    """Relays connections to ``127.0.0.1:target_port``; ``accepted`` counts connections."""

    def __init__(self, target_port: int) -> None:
        self._target = ("127.0.0.1", target_port)
        self._lock = threading.Lock()
        self._open: set[socket.socket] = set()
        self._listener: socket.socket | None = None
        self._thread: threading.Thread | None = None
        self._stop = threading.Event()
        self.accepted = 0
        self.port = 0
        self.up()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def is_up(self) -> bool:
        return self._listener is not None

    def up(self) -> None:
        """Listen again (on the port used before, if any)."""
        if self._listener is not None:
            return
        listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(("127.0.0.1", self.port))
        listener.listen(64)
        listener.settimeout(_ACCEPT_POLL)
        self.port = listener.getsockname()[1]
        self._listener = listener
        self._stop = threading.Event()
        self._thread = threading.Thread(
            target=self._accept_loop, args=(listener, self._stop), daemon=True
        )
        self._thread.start()

    def down(self) -> None:
        """Stop listening (connections are refused) and cut every relayed connection."""
        listener, self._listener = self._listener, None
        if listener is None:
            return
        self._stop.set()
        _close(listener)  # at once: shutting a listening socket down also wakes its accept()
        if self._thread is not None:
            self._thread.join(timeout=5)
        with self._lock:
            cut, self._open = self._open, set()
        for sock in cut:
            _close(sock)

    def _accept_loop(self, listener: socket.socket, stop: threading.Event) -> None:
        while not stop.is_set():
            try:
                client, _address = listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            self.accepted += 1
            try:
                upstream = socket.create_connection(self._target, timeout=5)
            except OSError:
                _close(client)
                continue
            client.settimeout(None)
            upstream.settimeout(None)
            with self._lock:
                self._open.update((client, upstream))
            for source, sink in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pump, args=(source, sink), daemon=True).start()

    def _pump(self, source: socket.socket, sink: socket.socket) -> None:
        try:
            while chunk := source.recv(_CHUNK):
                sink.sendall(chunk)
        except OSError:
            pass
        finally:
            with self._lock:
                self._open.discard(source)
                self._open.discard(sink)
            _close(source)
            _close(sink)


def _close(sock: socket.socket) -> None:
    with contextlib.suppress(OSError):
        sock.shutdown(socket.SHUT_RDWR)
    with contextlib.suppress(OSError):
        sock.close()
