"""The attack classes of hardening.md Part 1 against every route of the served app, over HTTP:
``affsite serve`` with several workers, as deployed behind nothing (the worst case: no proxy
scrubs a header). tests/web proves the same classes in-process on the Flask app; here they
meet gunicorn, its request reader, every worker's own memory of answers, and real sockets.

Every route ``affsite routes`` lists is attacked, anonymously and signed in; the table of
routes x attacks with the number of requests is printed at the end of the module.
"""

from __future__ import annotations

import select
import socket
import threading
import time
from collections.abc import Iterator
from urllib.parse import quote, urlencode

import pytest

from affsite.aliexpress.sandbox import DEMO_APP_SECRET

from .admin import Admin
from .attacks import (
    EVIL_HOST,
    MARKER,
    PARAMETERS,
    POISON_HEADERS,
    AttackTable,
    Route,
    leaked,
    parse_routes,
    poisoned,
    redirect_problem,
    reflected,
)
from .routes import unknown_ids
from .stack import ADMIN_PASSWORD, LoadStack
from .traffic import Answer, Client

pytestmark = pytest.mark.load

Visitor = tuple[str, dict[str, str]]  # a name, and the headers that make it (a cookie)


@pytest.fixture(scope="module")
def routes(stack: LoadStack) -> list[Route]:
    done = stack.cli("routes")
    assert done.returncode == 0, done.stderr
    found = parse_routes(done.stdout, stack.warm_ids[0])
    assert len(found) > 20 and any(r.admin for r in found)
    return found


@pytest.fixture(scope="module")
def table() -> Iterator[AttackTable]:
    attacks = AttackTable()
    yield attacks
    attacks.show()


@pytest.fixture(scope="module")
def admin(stack: LoadStack) -> Iterator[Admin]:
    signed_in = stack.admin()
    yield signed_in
    signed_in.close()


@pytest.fixture(scope="module")
def secrets(stack: LoadStack, admin: Admin) -> dict[str, str]:
    return {
        "App Secret": DEMO_APP_SECRET,
        "secret key": (stack.instance / "secret_key").read_text().strip(),
        "admin password": ADMIN_PASSWORD,
    }


def visitors(admin: Admin) -> list[Visitor]:
    return [("anonymous", {}), ("admin", {"Cookie": admin.cookie})]


def send(
    stack: LoadStack,
    method: str,
    path: str,
    headers: dict[str, str] | None = None,
    body: bytes | None = None,
) -> Answer:
    """One request on a new connection (so that successive ones meet different workers)."""
    return Client(stack.url, keep_alive=False).request(
        path, method=method, headers=headers, body=body
    )


def common_problems(answer: Answer, secrets: dict[str, str]) -> list[str]:
    problems = [p for p in (leaked(answer, secrets),) if p]
    # 501: what oEmbed answers for a format it does not serve (``format=xml``).
    if answer.status >= 500 and answer.status != 501:
        problems.append(f"status {answer.status}")
    return problems


def get_routes(routes: list[Route]) -> list[Route]:
    return [route for route in routes if "GET" in route.methods]


def settings_bytes(stack: LoadStack) -> tuple[bytes, int]:
    path = stack.instance / "settings.json"
    return path.read_bytes(), path.stat().st_mtime_ns


def test_host_and_forwarded_headers_never_reach_an_answer_a_redirect_or_a_kept_page(
    stack: LoadStack, routes: list[Route], admin: Admin, table: AttackTable, secrets: dict[str, str]
) -> None:
    mark = len(table.failures)
    for route in get_routes(routes):
        for name, headers in visitors(admin):
            problems: list[str] = []
            sent = 0
            for poison in (True, True, True, False, False, False):  # then clean: kept copies
                answer = send(
                    stack, "GET", route.url, {**headers, **POISON_HEADERS} if poison else headers
                )
                sent += 1
                problems += common_problems(answer, secrets)
                problems += [f"{name}: {p}" for p in (poisoned(answer),) if p]
                if route.admin and name == "anonymous" and route.endpoint != "admin.login":
                    location = answer.headers.get("location", "")
                    if answer.status != 303 or not location.startswith("/admin/login"):
                        problems.append(f"anonymous got {answer.status} {location!r}")
            table.record(route.rule, "host", problems, sent)
    # The routing redirects (a missing slash, doubled slashes) with the poison too.
    for path in ("/admin", "/embed//iframe/" + stack.warm_ids[0], "/api/v1//products"):
        answer = send(stack, "GET", path, dict(POISON_HEADERS))
        table.record(path, "host", [p for p in (poisoned(answer),) if p])
    assert table.failures[mark:] == []


def test_no_query_parameter_or_path_comes_back_as_markup(
    stack: LoadStack, routes: list[Route], admin: Admin, table: AttackTable, secrets: dict[str, str]
) -> None:
    mark = len(table.failures)
    query = urlencode(dict.fromkeys(PARAMETERS, MARKER))
    for route in get_routes(routes):
        for name, headers in visitors(admin):
            urls = [f"{route.url}?{query}"]
            if "<" in route.rule:  # the variable part too
                urls.append(route.rule.split("<", 1)[0] + quote(MARKER, safe=""))
            problems: list[str] = []
            for url in urls:
                answer = send(stack, "GET", url, headers)
                problems += common_problems(answer, secrets)
                problems += [f"{name} {url[:60]}: {p}" for p in (reflected(answer),) if p]
            table.record(route.rule, "xss", problems, len(urls))
    for path in ("/nope/", "/admin/", "/static/", "/api/v1/", "/go/", "/embed/"):
        answer = send(stack, "GET", path + quote(MARKER, safe=""), {"Cookie": admin.cookie})
        table.record(path + "<marker>", "xss", [p for p in (reflected(answer),) if p])
    assert table.failures[mark:] == []


def test_visitor_headers_and_saved_settings_reach_pages_only_escaped(
    stack: LoadStack, routes: list[Route], admin: Admin, table: AttackTable
) -> None:
    mark = len(table.failures)
    # Clicks carry what a visitor's browser sends; the dashboard shows click counts.
    pid = stack.warm_ids[1]
    for _ in range(3):
        headers = {"User-Agent": f"Mozilla/5.0 {MARKER}", "Referer": f"https://a.test/{MARKER}"}
        send(stack, "GET", f"/go/{pid}", {**headers, "X-Forwarded-For": MARKER})
    answer = admin.get("/admin/")
    table.record("/admin/", "stored-xss", [p for p in (reflected(answer),) if p])
    # What the admin saves is drawn into every public answer.
    with stack.settings_restored(("button_text", "disclosure")) as editor:
        saved = editor.save_settings({"button_text": MARKER, "disclosure": MARKER})
        assert saved.status == 303
        for route in get_routes(routes):
            if route.admin:
                continue
            answer = send(stack, "GET", f"{route.url}?ids={pid}")
            table.record(route.rule, "stored-xss", [p for p in (reflected(answer),) if p])
    assert table.failures[mark:] == []


def test_admin_posts_without_a_valid_csrf_token_change_nothing(
    stack: LoadStack, routes: list[Route], admin: Admin, table: AttackTable, secrets: dict[str, str]
) -> None:
    mark = len(table.failures)
    other = stack.admin()  # a token of another session is no better than none
    admin.get("/admin/settings")
    before = settings_bytes(stack)
    forged = {"button_text": "hijacked", "tracking_id": "attacker_id", "password": ADMIN_PASSWORD}
    posts = [r for r in routes if "POST" in r.methods and r.admin and "<" not in r.rule]
    try:
        for route in posts:
            problems: list[str] = []
            for token in (None, "forged-token", other.token):
                form = dict(forged) if token is None else {**forged, "csrf_token": token}
                answer = admin.post(route.url, form, token=False)
                problems += common_problems(answer, secrets)
                if answer.status != 400:
                    problems.append(f"token {token!r}: {answer.status}")
            table.record(route.rule, "csrf", problems, 3)
    finally:
        other.close()
    # The token route takes a bearer token, never the session cookie.
    answer = send(stack, "POST", "/api/v1/expand", {"Cookie": admin.cookie}, b"[aliexpress]")
    table.record(
        "/api/v1/expand", "csrf", [] if answer.status in (401, 403) else [str(answer.status)]
    )
    assert settings_bytes(stack) == before
    assert table.failures[mark:] == []
    assert admin.get("/admin/settings").status == 200  # still signed in: nothing logged out


def test_redirects_lead_only_to_aliexpress_or_to_this_site(
    stack: LoadStack, table: AttackTable, secrets: dict[str, str]
) -> None:
    mark = len(table.failures)
    pid, evil = stack.warm_ids[2], f"https://{EVIL_HOST}/"
    go_paths = [
        f"/go/{pid}?url={quote(evil)}",
        f"/go/{pid}?next=//{EVIL_HOST}",
        f"/go/{pid}?to={quote(evil)}&redirect={quote(evil)}",
        f"/go//{EVIL_HOST}",
        f"/go/%2F%2F{EVIL_HOST}",
        f"/go/https:%2F%2F{EVIL_HOST}",
        f"/go/{pid}/..%2F..%2F{EVIL_HOST}",
        f"/go/{pid}%2F..%2F{EVIL_HOST}",
        f"/go/{unknown_ids(stack, 1, seed=3)[0]}",
    ]
    for path in go_paths:
        answer = send(stack, "GET", path, {"User-Agent": "Mozilla/5.0"})
        problems = common_problems(answer, secrets)
        problems += [p for p in (redirect_problem(answer, affiliate=True),) if p]
        if not path.startswith(f"/go/{pid}?") and answer.status != 404:
            problems.append(f"{path}: {answer.status} instead of 404")
        table.record("/go/<product_id>", "redirect", problems)
    nexts = [
        f"//{EVIL_HOST}", evil, f"/\\{EVIL_HOST}", f"/%2F{EVIL_HOST}", f"\\\\{EVIL_HOST}",
        f"///{EVIL_HOST}", "javascript:alert(1)", f"/\t/{EVIL_HOST}", f"https:{EVIL_HOST}",
    ]  # fmt: skip
    for target in nexts:
        visitor = Admin(stack.url)
        try:
            visitor.get(f"/admin/login?next={quote(target, safe='')}")
            answer = visitor.post("/admin/login", {"password": ADMIN_PASSWORD, "next": target})
            again = visitor.get(f"/admin/login?next={quote(target, safe='')}")  # signed in now
        finally:
            visitor.close()
        problems = [
            p for a in (answer, again) for p in (redirect_problem(a, affiliate=False),) if p
        ]
        if answer.status != 303:
            problems.append(f"sign-in answered {answer.status}")
        table.record("/admin/login", "redirect", problems, 3)
    assert table.failures[mark:] == []


def test_template_names_and_files_cannot_be_reached_by_traversal(
    stack: LoadStack, table: AttackTable, secrets: dict[str, str]
) -> None:
    mark = len(table.failures)
    pid = stack.warm_ids[3]
    # In the path: never a page, never a file (4xx).
    paths = [
        "/embed/..%2F..%2Fetc%2Fpasswd", "/embed/%2e%2e%2f%2e%2e%2fetc%2fpasswd",
        "/embed/....//....//etc/passwd", "/embed/..%5C..%5Csettings.json",
        "/static/../instance/settings.json", "/static/..%2f..%2finstance%2fsettings.json",
        "/static/%2e%2e/%2e%2e/etc/passwd", "/static/css/..%2F..%2F..%2Finstance%2Fsecret_key",
        "/sandbox-media/..%2F..%2Fsecret_key", "/embed/iframe/..%2F..%2Fsecret_key",
        "/settings.json", "/instance/settings.json", "/secret_key", "/cache/ctl/cache.db",
        "/.env", "/config.py", f"/go/{pid}/..%2F..%2Fsettings.json",
    ]  # fmt: skip
    # In a parameter: refused (4xx), or ignored by a route that does not read it (200).
    queries = [
        f"/embed/box?ids={pid}&template=../../etc/passwd", f"/embed/box?ids={pid}&theme=../../x",
        f"/api/v1/snippet?ids={pid}&template=..%2F..%2Fadmin%2Flogin",
        f"/api/v1/snippet?ids={pid}&theme=..%2F..%2F..%2Fsecret_key",
        f"/api/v1/snippet?ids={pid}&field=../../../secret_key",
        f"/api/v1/embeds?b={quote('ids=1005004757833857&template=../../x', safe='')}",
        f"/oembed?url={quote('http://127.0.0.1/embed/../../secret_key', safe='')}",
    ]  # fmt: skip
    for path in paths + queries:
        answer = send(stack, "GET", path)
        problems = common_problems(answer, secrets)
        body = answer.body.decode("utf-8", "replace")
        if "root:x:0:0" in body or '"daily_quota"' in body or "_ShiftedClock" in body:
            problems.append(f"{path}: a file's contents came back")
        if not 400 <= answer.status < 500 and not (path in queries and answer.status == 200):
            problems.append(f"{path}: {answer.status}")
        table.record(path.split("?")[0][:40], "traversal", problems)
    assert table.failures[mark:] == []


def test_every_route_refuses_the_methods_it_does_not_take(
    stack: LoadStack, routes: list[Route], admin: Admin, table: AttackTable, secrets: dict[str, str]
) -> None:
    mark = len(table.failures)
    before = settings_bytes(stack)
    taken: dict[str, set[str]] = {}  # one address may have an endpoint per method
    urls = {route.rule: route.url for route in routes}
    for route in routes:
        taken.setdefault(route.rule, set()).update(route.methods)
    cookie = admin.cookie.split("=", 1)[1]
    for rule, methods in taken.items():
        others = {"GET", "POST", "PUT", "DELETE", "PATCH", "TRACE", "PROPFIND"} - methods
        for name, headers in visitors(admin):
            problems: list[str] = []
            for method in sorted(others):
                answer = send(stack, method, urls[rule], {**headers, "Content-Length": "0"})
                problems += common_problems(answer, secrets)
                if cookie.encode() in answer.body:
                    problems.append(f"{method} echoed the session cookie")
                # Anonymous visitors of admin addresses are sent to the sign-in page first.
                to_login = (
                    answer.status == 303 and name == "anonymous" and rule.startswith("/admin")
                )
                if answer.status not in (400, 404, 405, 501) and not to_login:
                    problems.append(f"{name} {method}: {answer.status}")
            if "GET" in methods and "POST" not in methods:
                # A method override header is no way around it either.
                override = {**headers, "X-HTTP-Method-Override": "DELETE", "Content-Length": "0"}
                answer = send(stack, "POST", urls[rule], override)
                if answer.status not in (400, 404, 405):
                    problems.append(f"override {answer.status}")
            table.record(rule, "method", problems, len(others) + 1)
    assert settings_bytes(stack) == before
    assert table.failures[mark:] == []


def raw_exchange(stack: LoadStack, pieces: list[bytes], pause: float, limit: float) -> bytes:
    """Send ``pieces``, waiting up to ``pause`` seconds after each, until the server answers
    (a server refusing a request answers before it has all of it); then read the answer,
    ``limit`` seconds at most."""
    with socket.create_connection(("127.0.0.1", stack.port), timeout=limit) as sock:
        try:
            for piece in pieces:
                sock.sendall(piece)
                if select.select([sock], [], [], pause)[0]:
                    break  # the server has something to say (or closed): stop sending
        except OSError:
            pass  # it closed while we sent: its answer may be waiting all the same
        received = b""
        try:
            while chunk := sock.recv(65536):
                received += chunk
        except OSError:
            pass
        return received


def status_of(received: bytes) -> int:
    """
    >>> status_of(b"HTTP/1.1 413 Request Entity Too Large\\r\\n")
    413
    """
    parts = received.split(b" ", 2)
    return int(parts[1]) if len(parts) > 1 and parts[1].isdigit() else 0


def upload(stack: LoadStack, path: str, size: int) -> bytes:
    """POST ``size`` bytes to ``path`` in 64 KiB pieces, stopping once the server answers."""
    head = f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: {size}\r\n"
    head += "Content-Type: application/x-www-form-urlencoded\r\n\r\n"
    chunk = 64 * 1024
    return raw_exchange(stack, [head.encode()] + [b"x" * chunk] * (size // chunk), 0.01, 20)


def test_oversized_and_slow_requests_are_refused_without_stalling_the_site(
    stack: LoadStack, table: AttackTable, secrets: dict[str, str]
) -> None:
    mark = len(table.failures)
    big = 2 * 1024 * 1024
    statuses = {
        "body 2 MiB /admin/settings": (status_of(upload(stack, "/admin/settings", big)), (413,)),
        "body 2 MiB /api/v1/expand": (status_of(upload(stack, "/api/v1/expand", big)), (413,)),
        "header 70 KB": (send(stack, "GET", "/", {"X-Big": "y" * 70_000}).status, (400, 431)),
        "URL 20 KB": (
            send(stack, "GET", "/api/v1/products?ids=" + "1" * 20_000).status,
            (400, 414),
        ),
    }
    for label, (status, allowed) in statuses.items():
        table.record(label, "size", [] if status in allowed else [f"{label}: {status}"])

    # Clients that send their request slowly: refused at the request deadline (5 s here),
    # while everyone else is answered as usual.
    head = [b"GET /healthz HTTP/1.1\r\n", b"Host: 127.0.0.1\r\n", b"X-A: 1\r\n"] + [b"X: 1\r\n"] * 6
    body = [b"POST /admin/login HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 900\r\n\r\n"]
    body += [b"password=" + b"x" * 10] * 8
    slow: dict[str, bytes] = {}
    clients = [
        threading.Thread(target=lambda: slow.update(head=raw_exchange(stack, head, 1.0, 20))),
        threading.Thread(target=lambda: slow.update(body=raw_exchange(stack, body, 1.0, 20))),
    ]
    for client in clients:
        client.start()
    answered = []
    for _ in range(5):  # while they dribble
        time.sleep(0.5)
        answered.append(send(stack, "GET", "/healthz").status)
    for client in clients:
        client.join(timeout=30)
    print(f"[slow clients] {', '.join(f'{k} -> {v[:12]!r}' for k, v in slow.items())}")
    for name, received in slow.items():
        ok = received.startswith(b"HTTP/1.1 408")
        table.record(f"slow {name}", "slow", [] if ok else [f"answered {received[:40]!r}"])
    table.record(
        "/healthz during slow clients", "slow", [] if answered == [200] * 5 else [str(answered)], 5
    )
    assert len(slow) == 2
    assert table.failures[mark:] == []
