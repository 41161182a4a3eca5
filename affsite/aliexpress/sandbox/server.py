"""Run a sandbox as a real threaded HTTP server on a local port."""

from __future__ import annotations

import logging
import threading
from types import TracebackType

from werkzeug.serving import BaseWSGIServer, WSGIRequestHandler, make_server

from affsite.aliexpress.sandbox.endpoint import Sandbox

log = logging.getLogger("affsite.sandbox")


class _RequestHandler(WSGIRequestHandler):
    """Logs method, path and status only: query strings may carry signed parameters."""

    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        log.info("%s %s %s", self.command, self.path.split("?", 1)[0], code)


class ServerHandle:
    """A running sandbox server: ``url`` (no trailing slash), ``port``, ``shutdown()``."""

    def __init__(self, server: BaseWSGIServer, host: str) -> None:
        self._server = server
        self.port: int = server.server_port
        shown = "127.0.0.1" if host in ("0.0.0.0", "") else host  # noqa: S104 - display only
        if ":" in shown:
            shown = f"[{shown}]"
        self.url = f"http://{shown}:{self.port}"
        self._thread = threading.Thread(
            target=server.serve_forever, name=f"affsite-sandbox-{self.port}", daemon=True
        )
        self._thread.start()

    @property
    def sync_url(self) -> str:
        return f"{self.url}/sync"

    def wait(self, timeout: float | None = None) -> None:
        """Block until the server stops (or ``timeout`` passes)."""
        self._thread.join(timeout)

    def shutdown(self) -> None:
        if self._thread.is_alive():
            self._server.shutdown()
            self._thread.join(timeout=10)
        self._server.server_close()

    def __enter__(self) -> ServerHandle:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.shutdown()


def serve(sandbox: Sandbox, host: str = "127.0.0.1", port: int = 0) -> ServerHandle:
    """Serve ``sandbox`` on ``host:port`` (0 = any free port) from a background thread.

    A relative ``media_base_url`` (the in-process default) is replaced by this server's own
    ``/media/`` URL, so image URLs in answers work for any client of the server.
    """
    server = make_server(host, port, sandbox, threaded=True, request_handler=_RequestHandler)
    handle = ServerHandle(server, host)
    if sandbox.media_base_url.startswith("/"):
        sandbox.media_base_url = f"{handle.url}/media/"
    return handle
