"""The shipped nginx site as the deployment tests run it (``bench._nginx`` renders and starts
it, shared with the benchmarks), and the tests' own way of asking it: one request per
connection, the cache status of each answer, and the connections nginx holds to affsite.
"""

from __future__ import annotations

import http.client
import ssl
from dataclasses import dataclass
from pathlib import Path

from bench._nginx import (
    MISSING_NGINX,
    MISSING_OPENSSL,
    REPO,
    SITE,
    NginxFront,
    free_port,
    main_config,
    make_certificate,
    nginx_binary,
    nginx_test,
    render_site,
    start_nginx,
)

__all__ = [
    "MISSING_NGINX",
    "MISSING_OPENSSL",
    "REPO",
    "SITE",
    "Answer",
    "NginxFront",
    "fetch",
    "free_port",
    "main_config",
    "make_certificate",
    "nginx_binary",
    "nginx_test",
    "render_site",
    "start_nginx",
    "upstream_connections",
]


@dataclass(frozen=True)
class Answer:
    status: int
    headers: http.client.HTTPMessage
    body: bytes

    @property
    def cache_status(self) -> str | None:
        return self.headers.get("X-Cache-Status")


def fetch(
    port: int,
    path: str,
    headers: dict[str, str] | None = None,
    *,
    tls: ssl.SSLContext | None = None,
    method: str = "GET",
) -> Answer:
    """One request on a new connection to 127.0.0.1:``port``; redirects are not followed."""
    connection: http.client.HTTPConnection
    if tls is None:
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    else:
        connection = http.client.HTTPSConnection("127.0.0.1", port, timeout=30, context=tls)
    try:
        connection.request(method, path, headers=headers or {})
        response = connection.getresponse()
        return Answer(response.status, response.headers, response.read())
    finally:
        connection.close()


def upstream_connections(port: int) -> set[int]:
    """The client-side ports of the IPv4 TCP connections to 127.0.0.1:``port`` the kernel
    knows (open, closing or in TIME_WAIT, seen from either end)."""
    ports: set[int] = set()
    for line in Path("/proc/net/tcp").read_text().splitlines()[1:]:
        local, remote = line.split()[1:3]
        local_port, remote_port = int(local.split(":")[1], 16), int(remote.split(":")[1], 16)
        if remote_port == port:
            ports.add(local_port)
        elif local_port == port and remote_port != 0:
            ports.add(remote_port)
    return ports
