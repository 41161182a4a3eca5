"""The shipped nginx site (``deploy/nginx/``) rendered for 127.0.0.1 and run as a real nginx,
for the deployment tests (``tests/deploy/``) and the benchmarks (``bench/bench_nginx.py``).

What runs is the shipped file itself: ``render_site`` replaces the placeholders and the few
deployment-specific values (ports, the upstream address, the cache folder, where the snippet
is installed) and nothing else, failing if any of them is not found exactly where it is
expected. ``main_config`` adds what Debian's main configuration would (a pid file, logs and
temp folders, here under a temporary prefix) and one plain-HTTP server on 127.0.0.1 that
includes the same ``affsite-locations.conf`` as the shipped HTTPS server, so the cache can be
watched (and measured) without TLS in the way.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import ssl
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path

from bench._serving import free_port, free_ports

REPO = Path(__file__).resolve().parents[1]
SITE = REPO / "deploy" / "nginx" / "affsite.conf"
LOCATIONS = REPO / "deploy" / "nginx" / "affsite-locations.conf"
#: Where docs/deploy.md installs the snippet (the shipped site includes it from there).
INSTALLED_LOCATIONS = "/etc/nginx/snippets/affsite-locations.conf"
SHIPPED_CACHE_DIR = "/var/cache/nginx/affsite"
SHIPPED_UPSTREAM = "127.0.0.1:8000"
SERVER_NAME = "127.0.0.1"

MISSING_NGINX = (
    "nginx is not installed (Debian: apt-get install nginx-light; scripts/test.sh installs it)"
)
MISSING_OPENSSL = "openssl is not installed (needed for a test certificate)"


def nginx_binary() -> str | None:
    """The nginx executable (Debian puts it in /usr/sbin, not on every user's PATH)."""
    return shutil.which("nginx") or shutil.which("nginx", path="/usr/sbin:/usr/local/sbin")


def _replace(text: str, old: str, new: str, count: int) -> str:
    found = text.count(old)
    if found != count:
        raise AssertionError(f"{SITE.name}: expected {old!r} {count} time(s), found {found}")
    return text.replace(old, new)


def render_site(
    *,
    server_name: str,
    certificate: Path,
    certificate_key: Path,
    upstream: str,
    cache_dir: Path,
    locations: Path = LOCATIONS,
    http_listen: str | None = None,
    https_listen: str | None = None,
) -> str:
    """``deploy/nginx/affsite.conf`` with its placeholders filled in, the upstream, cache
    folder and snippet path replaced, and, when ``http_listen``/``https_listen`` are given,
    its listening addresses replaced by them (the IPv6 ones dropped). Comments are left out.
    """
    lines = (line.split("#", 1)[0].rstrip() for line in SITE.read_text().splitlines())
    text = "\n".join(line for line in lines if line) + "\n"
    text = _replace(text, "@SERVER_NAME@", server_name, 2)
    text = _replace(text, "@TLS_CERTIFICATE@;", f"{certificate};", 1)
    text = _replace(text, "@TLS_CERTIFICATE_KEY@;", f"{certificate_key};", 1)
    text = _replace(text, f"server {SHIPPED_UPSTREAM};", f"server {upstream};", 1)
    text = _replace(
        text, f"proxy_cache_path {SHIPPED_CACHE_DIR} ", f"proxy_cache_path {cache_dir} ", 1
    )
    text = _replace(text, f"include {INSTALLED_LOCATIONS};", f"include {locations};", 1)
    if http_listen is not None:
        text = _replace(text, "listen 80;", f"listen {http_listen};", 1)
        text = _replace(text, "listen [::]:80;", "", 1)
    if https_listen is not None:
        text = _replace(text, "listen 443 ssl http2;", f"listen {https_listen} ssl http2;", 1)
        text = _replace(text, "listen [::]:443 ssl http2;", "", 1)
    if "@" in text:
        raise AssertionError(f"a placeholder is left in {SITE.name}:\n{text}")
    return text


def main_config(prefix: Path, site: Path, *, plain_port: int | None) -> str:
    """An ``nginx.conf`` that includes ``site`` (as Debian's includes sites-enabled/*), with
    everything nginx writes under ``prefix``, and, given ``plain_port``, a plain-HTTP server on
    127.0.0.1 around the shipped snippet."""
    # As root, workers would otherwise run as "nobody", who cannot write in pytest's private
    # temporary folder; as anyone else nginx cannot switch users and needs no user line.
    user = "user root;\n" if os.geteuid() == 0 else ""
    plain = ""
    if plain_port is not None:
        plain = (
            f"    server {{\n        listen 127.0.0.1:{plain_port};\n"
            f"        server_name {SERVER_NAME};\n        include {LOCATIONS};\n    }}\n"
        )
    temp = "".join(
        f"    {name}_temp_path {prefix / name};\n"
        for name in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")
    )
    return (
        f"{user}worker_processes 1;\npid {prefix / 'nginx.pid'};\n"
        f"error_log {prefix / 'error.log'} info;\n"
        "events {\n    worker_connections 512;\n}\n"
        f"http {{\n    access_log {prefix / 'access.log'};\n{temp}"
        f"    include {site};\n{plain}}}\n"
    )


def make_certificate(folder: Path, host: str = SERVER_NAME) -> tuple[Path, Path]:
    """A self-signed certificate for ``host`` (an IP address) and its key."""
    certificate, key = folder / "cert.pem", folder / "key.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2"]
        + ["-keyout", str(key), "-out", str(certificate), "-subj", f"/CN={host}"]
        + ["-addext", f"subjectAltName=IP:{host}"],
        check=True,
        capture_output=True,
        timeout=60,
    )
    return certificate, key


def nginx_test(binary: str, prefix: Path, config: Path) -> subprocess.CompletedProcess[str]:
    """``nginx -t`` on ``config``."""
    return subprocess.run(
        [binary, "-t", "-p", str(prefix), "-c", str(config)],
        capture_output=True,
        text=True,
        timeout=30,
    )


@dataclass
class NginxFront:
    """A running nginx with the shipped site: ``plain`` (http://127.0.0.1:port, the snippet
    without TLS), ``https_port`` (the shipped HTTPS server, certificate ``ca``) and
    ``http_port`` (the shipped port-80 server)."""

    process: subprocess.Popen[bytes]
    prefix: Path
    plain_port: int
    https_port: int
    http_port: int
    ca: Path
    cache_dir: Path
    _stopped: bool = field(default=False, init=False)

    @property
    def plain(self) -> str:
        return f"http://127.0.0.1:{self.plain_port}"

    def error_log(self) -> str:
        path = self.prefix / "error.log"
        return path.read_text(errors="replace") if path.exists() else ""

    def tls_context(self) -> ssl.SSLContext:
        return ssl.create_default_context(cafile=str(self.ca))

    def stop(self) -> None:
        if self._stopped:
            return
        self._stopped = True
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGQUIT)  # graceful: let workers finish
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)


def start_nginx(binary: str, folder: Path, *, upstream: str, extra_servers: str = "") -> NginxFront:
    """Start nginx (``daemon off``, a child of this process) with the shipped site rendered
    for 127.0.0.1 in front of ``upstream``, and ``extra_servers`` (nginx ``server`` blocks,
    e.g. a baseline to compare with) beside it; returns once it accepts connections (about
    10 s at most)."""
    prefix = folder / "nginx"
    prefix.mkdir()
    certificate, key = make_certificate(prefix)
    plain_port, https_port, http_port = free_ports(3)
    cache_dir = prefix / "cache"
    site = prefix / "affsite.conf"
    site.write_text(
        render_site(
            server_name=SERVER_NAME,
            certificate=certificate,
            certificate_key=key,
            upstream=upstream,
            cache_dir=cache_dir,
            http_listen=f"127.0.0.1:{http_port}",
            https_listen=f"127.0.0.1:{https_port}",
        )
        + extra_servers
    )
    config = prefix / "nginx.conf"
    config.write_text(main_config(prefix, site, plain_port=plain_port))
    checked = nginx_test(binary, prefix, config)
    if checked.returncode != 0:
        raise AssertionError(f"nginx -t failed:\n{checked.stderr}")
    with (prefix / "stderr.log").open("wb") as stderr:
        process = subprocess.Popen(
            [binary, "-p", str(prefix), "-c", str(config), "-g", "daemon off;"],
            stdout=subprocess.DEVNULL,
            stderr=stderr,
        )
    front = NginxFront(process, prefix, plain_port, https_port, http_port, certificate, cache_dir)
    for _ in range(100):  # bounded: about 10 s
        if process.poll() is not None:
            break
        with (
            contextlib.suppress(OSError),
            socket.create_connection(("127.0.0.1", plain_port), timeout=1),
        ):
            return front
        time.sleep(0.1)
    front.stop()
    raise AssertionError(f"nginx did not start:\n{front.error_log()}")


__all__ = [
    "INSTALLED_LOCATIONS",
    "LOCATIONS",
    "MISSING_NGINX",
    "MISSING_OPENSSL",
    "REPO",
    "SERVER_NAME",
    "SHIPPED_CACHE_DIR",
    "SHIPPED_UPSTREAM",
    "SITE",
    "NginxFront",
    "free_port",
    "main_config",
    "make_certificate",
    "nginx_binary",
    "nginx_test",
    "render_site",
    "start_nginx",
]
