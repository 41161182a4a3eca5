"""``affsite run`` and ``affsite serve``: what they print, the server they start, and what
gunicorn is told to trust."""

from __future__ import annotations

import http.client
import json
import os
import re
import signal
import socket
import time
import urllib.request
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest

from affsite import create_app
from affsite.cli.server import gunicorn_options
from affsite.cli.worker import RequestReadingWorker

from .conftest import invoke


def test_run_replaces_flasks_run_command(instance: Path) -> None:
    result = invoke(instance, ["run", "--help"])
    assert "--host" in result.output and "127.0.0.1" in result.output
    assert "--port" in result.output and "5000" in result.output
    assert "--cert" not in result.output  # Flask's own run command has --cert


class FakeServer:
    server_port = 5123

    def __init__(self, host: str, port: int, app: Any, threaded: bool) -> None:
        self.host, self.port, self.app, self.threaded = host, port, app, threaded
        FakeServer.made.append(self)

    made: list[FakeServer] = []

    def serve_forever(self) -> None:
        raise KeyboardInterrupt

    def server_close(self) -> None:
        self.closed = True


def test_run_prints_the_url_and_demo_mode(instance: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import werkzeug.serving

    FakeServer.made.clear()
    monkeypatch.setattr(werkzeug.serving, "make_server", FakeServer)
    result = invoke(instance, ["run"])
    assert result.exit_code == 0, result.output
    assert "serving http://127.0.0.1:5123/" in result.output
    assert "Demo mode: ON" in result.output
    assert "affsite admin set-password" in result.output
    (server,) = FakeServer.made
    assert (server.host, server.port, server.threaded) == ("127.0.0.1", 5000, True)
    assert server.closed


def test_serve_tells_gunicorn_to_trust_no_forwarded_headers(instance: Path) -> None:
    app = create_app({"INSTANCE_PATH": str(instance)})
    options = gunicorn_options(
        app, bind="127.0.0.1:0", workers=2, threads=4, timeout=30, request_timeout=15
    )
    assert options["forwarded_allow_ips"] == ""
    assert options["forwarder_headers"] == ""
    assert options["secure_scheme_headers"] == {}
    worker = options["worker_class"]
    assert issubclass(worker, RequestReadingWorker)
    assert worker.limits.body_bytes == app.config["MAX_CONTENT_LENGTH"]
    assert worker.limits.seconds == 15


def _malformed_chunked_login(url: str) -> bytes:
    """POST /admin/login with a chunk size that is not hexadecimal; the first answer line."""
    parts = urlsplit(url)
    with socket.create_connection((parts.hostname, parts.port), timeout=10) as sock:
        sock.sendall(
            b"POST /admin/login HTTP/1.1\r\nHost: localhost\r\n"
            b"Content-Type: application/x-www-form-urlencoded\r\n"
            b"Transfer-Encoding: chunked\r\n\r\nzz\r\npassword=x\r\n0\r\n\r\n"
        )
        return sock.recv(4096).split(b"\r\n", 1)[0]


def test_run_answers_a_malformed_chunked_body_with_400(
    instance: Path, serve_wsgi: Callable[[Any], str], caplog: pytest.LogCaptureFixture
) -> None:
    # `affsite run` is Werkzeug's threaded server, as served here.
    url = serve_wsgi(create_app({"INSTANCE_PATH": str(instance)}))
    assert _malformed_chunked_login(url).split()[1] == b"400"
    assert "Traceback" not in caplog.text


@pytest.mark.slow
def test_serve_runs_gunicorn_with_the_request_reading_worker(
    instance: Path, affsite_serve: Callable[..., Any]
) -> None:
    site = affsite_serve(
        {"AFFSITE_INSTANCE": str(instance), "AFFSITE_COUNTRY": "DE"}, "--workers", "1"
    )
    with urllib.request.urlopen(f"{site.url}/healthz", timeout=5) as answer:
        body = json.load(answer)
    assert body["status"] == "ok" and body["demo_mode"] is True
    output = site.output()
    assert "Using worker: AffsiteWorker" in output
    assert f"serving {site.url}/" in output


@pytest.mark.slow
def test_serve_answers_a_malformed_chunked_body_with_400_and_no_traceback(
    instance: Path, affsite_serve: Callable[..., Any]
) -> None:
    site = affsite_serve({"AFFSITE_INSTANCE": str(instance)}, "--workers", "1")
    assert _malformed_chunked_login(site.url) == b"HTTP/1.1 400 Bad Request"
    with urllib.request.urlopen(f"{site.url}/healthz", timeout=5):
        pass  # the access log line of this probe comes after the refusal's warning
    assert "Traceback" not in site.output()
    assert "invalid chunk size" in site.output()


def _get(url: str, path: str, headers: dict[str, str]) -> tuple[int, str, str]:
    parts = urlsplit(url)
    connection = http.client.HTTPConnection(parts.hostname or "", parts.port, timeout=10)
    try:
        connection.request("GET", path, headers=headers)
        response = connection.getresponse()
        return response.status, response.getheader("Location") or "", response.read().decode()
    finally:
        connection.close()


@pytest.mark.slow
def test_serve_lets_no_request_header_from_loopback_move_the_url_root_or_scheme(
    instance: Path, affsite_serve: Callable[..., Any]
) -> None:
    # gunicorn trusts SCRIPT_NAME and X-Forwarded-Proto from 127.0.0.1 by default: one forged
    # request would then draw the site's links under a prefix (or scheme) of its choosing.
    site = affsite_serve({"AFFSITE_INSTANCE": str(instance)}, "--workers", "1")
    forged = {"SCRIPT_NAME": "/forged", "X-Forwarded-Proto": "https"}

    home_status, _location, home = _get(site.url, "/forged/", forged)
    admin_status, location, _body = _get(site.url, "/forged/admin/", forged)
    _status, _location, page = _get(site.url, "/", {"X-Forwarded-Proto": "https"})

    assert home_status == admin_status == 404  # /forged/... is just an unknown path
    assert "/forged" not in home and "/forged" not in location
    assert "https://127.0.0.1" not in page
    assert f"{site.url}/embed/iframe/" in page


@pytest.mark.slow
def test_serve_keeps_the_buffered_counts_of_a_worker_stopped_by_sigterm(
    instance: Path, affsite_serve: Callable[..., Any]
) -> None:
    site = affsite_serve({"AFFSITE_INSTANCE": str(instance)}, "--workers", "1")
    for _ in range(3):
        with urllib.request.urlopen(f"{site.url}/api/v1/products?ids=1005004757833857", timeout=10):
            pass
    listening = re.search(r"Listening at: \S+ \((\d+)\)", site.output())
    assert listening is not None

    os.kill(int(listening.group(1)), signal.SIGTERM)  # gunicorn's master, as systemd stops it
    for _ in range(150):  # bounded: at most ~15 s
        if "Shutting down: Master" in site.output():
            break
        time.sleep(0.1)
    assert "Shutting down: Master" in site.output()

    stats = json.loads(invoke(instance, ["cache", "stats", "--json"]).stdout)
    assert sum(stats["answers"].values()) == 3
