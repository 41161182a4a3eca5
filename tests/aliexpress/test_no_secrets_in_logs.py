"""The App Secret and the signature never reach a log line, at any level, in any logger.

Uses a real HTTP server on 127.0.0.1 (not a mock transport) so httpx's and httpcore's own
DEBUG logging of the connection is part of what is checked.
"""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qsl

import pytest

from affsite.aliexpress.client import AliExpressClient
from affsite.aliexpress.errors import ApiError
from affsite.aliexpress.protocol import CATEGORY_GET
from affsite.clock import FakeClock

from .fakes import APP_KEY, SECRET, envelope, error_body


class _Gateway(BaseHTTPRequestHandler):
    """Answers: first a 503, then success; a request for method ``fail`` gets a bad-sign error."""

    seen_signs: list[str] = []
    answers: list[tuple[int, bytes]] = []

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length", "0"))
        form = dict(parse_qsl(self.rfile.read(length).decode("utf-8")))
        self.seen_signs.append(form["sign"])
        status, body = self.answers.pop(0) if self.answers else (200, b"{}")
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:  # keep test output clean
        pass


@pytest.fixture
def local_gateway() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Gateway)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/sync"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


def test_secret_and_signature_never_logged(
    local_gateway: str, caplog: pytest.LogCaptureFixture
) -> None:
    categories = {"categories": {"category": [{"category_id": 1, "category_name": "Home"}]}}
    _Gateway.seen_signs = []
    _Gateway.answers = [
        (503, b"busy"),
        (200, json.dumps(envelope(CATEGORY_GET, categories)).encode()),
        (200, json.dumps(error_body("IncompleteSignature", "bad signature")).encode()),
    ]
    clock = FakeClock()
    caplog.set_level(logging.DEBUG)
    for name in ("httpx", "httpcore", "affsite"):
        caplog.set_level(logging.DEBUG, logger=name)

    with AliExpressClient(
        app_key=APP_KEY,
        app_secret=SECRET,
        api_url=local_gateway,
        clock=clock,
        sleep=clock.sleep,
        tracking_id="default",
    ) as client:
        assert client.categories()
        with pytest.raises(ApiError) as caught:
            client.categories()

    assert len(_Gateway.seen_signs) == 3
    logged = caplog.text + "".join(repr(record.args) for record in caplog.records)
    assert "HTTP Request: POST" in logged  # httpx did log the request...
    assert any(record.name.startswith("httpcore") for record in caplog.records)
    assert SECRET not in logged  # ...but neither the secret
    for signature in _Gateway.seen_signs:  # nor any signature sent
        assert signature not in logged
        assert signature not in str(caught.value)
    assert SECRET not in str(caught.value) and SECRET not in repr(caught.value)
