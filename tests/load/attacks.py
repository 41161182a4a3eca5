"""The served app's routes, as ``affsite routes`` lists them, made concrete; and the checks
every answer to an attack must pass (hardening.md Part 1), with a table of what was sent.

Routes come from the running code, so a route added later is attacked too without this file
changing. Each attack class records, per route, how many requests it sent and what failed.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass, field

from .traffic import Answer

#: Written into every query parameter and path segment: must never come back as markup.
MARKER = "\"'><x-marker onmouseover=alert(1)>"
RAW_MARKER = "<x-marker"
#: The host and path prefix an attacker tries to make the site name.
EVIL_HOST = "evil.example"
EVIL_PREFIX = "/evil-prefix"
POISON_HEADERS = {
    "Host": EVIL_HOST,
    "X-Forwarded-Host": EVIL_HOST,
    "X-Forwarded-Server": EVIL_HOST,
    "X-Forwarded-Proto": "https",
    "X-Forwarded-Port": "8443",
    "X-Forwarded-Prefix": EVIL_PREFIX,
    "X-Forwarded-For": "203.0.113.9",
    "Forwarded": f"for=203.0.113.9;host={EVIL_HOST};proto=https",
    "X-Original-URL": "/admin/settings",
    "X-Rewrite-URL": "/admin/settings",
    "SCRIPT_NAME": EVIL_PREFIX,
    "Script-Name": EVIL_PREFIX,
}
#: Query parameters any route might read.
PARAMETERS = (
    "ids", "template", "theme", "field", "url", "format", "maxwidth", "maxheight", "b", "next",
    "search", "hot", "category", "sort", "limit", "min_price", "max_price", "q", "page", "tab",
    "callback", "to",
)  # fmt: skip
_AFFILIATE_TARGET = re.compile(r"^https://([a-z0-9-]+\.)*aliexpress\.(com|us|ru)/")


@dataclass(frozen=True)
class Route:
    endpoint: str
    methods: frozenset[str]
    rule: str
    url: str  # the rule with its variables filled in

    @property
    def admin(self) -> bool:
        return self.rule == "/admin" or self.rule.startswith("/admin/")


def parse_routes(listing: str, product_id: str) -> list[Route]:
    """``affsite routes`` output as routes with concrete URLs."""
    routes = []
    for line in listing.splitlines()[2:]:
        parts = re.split(r"\s{2,}", line.strip())
        if len(parts) != 3:
            continue
        endpoint, methods, rule = parts
        allowed = frozenset(m.strip() for m in methods.split(",")) - {"HEAD", "OPTIONS"}
        routes.append(Route(endpoint, allowed, rule, concrete(rule, product_id)))
    return routes


def concrete(rule: str, product_id: str) -> str:
    """
    >>> concrete("/embed/iframe/<product_id>", "1005004757833857")
    '/embed/iframe/1005004757833857'
    >>> concrete("/static/<path:filename>", "1")
    '/static/css/box.css'
    """
    known = {
        "product_id": product_id,
        "path:filename": "css/box.css",
        "path:_anything": "no-such-page",
    }
    url = rule
    for variable in re.findall(r"<([^>]+)>", rule):
        value = known.get(variable, "box" if rule.startswith("/embed/") else "x.svg")
        url = url.replace(f"<{variable}>", value)
    return url


@dataclass
class AttackTable:
    """Requests sent and failures found, per route and attack class."""

    sent: dict[str, dict[str, int]] = field(default_factory=lambda: defaultdict(dict))
    failures: list[str] = field(default_factory=list)

    def record(self, route: str, attack: str, problems: list[str], requests: int = 1) -> None:
        row = self.sent[route]
        row[attack] = row.get(attack, 0) + requests
        self.failures += [f"{attack} {route}: {problem}" for problem in problems]

    def show(self) -> str:
        attacks = sorted({attack for row in self.sent.values() for attack in row})
        width = max(len(route) for route in self.sent) if self.sent else 10
        lines = [f"{'route':<{width}}  " + "  ".join(f"{a:>9}" for a in attacks)]
        for route in sorted(self.sent):
            row = self.sent[route]
            lines.append(
                f"{route:<{width}}  " + "  ".join(f"{row.get(a, '-'):>9}" for a in attacks)
            )
        lines.append(f"requests: {sum(sum(r.values()) for r in self.sent.values())}, "
                     f"failures: {len(self.failures)}")  # fmt: skip
        text = "\n".join(lines)
        print("\n" + text)
        return text


def everything_said(answer: Answer) -> str:
    """Status line, headers and body, lowercased: where an attacker's text must not be."""
    headers = "\n".join(f"{k}: {v}" for k, v in answer.headers.items())
    return f"{answer.status}\n{headers}\n{answer.body.decode('utf-8', 'replace')}".lower()


def poisoned(answer: Answer) -> str | None:
    """The attacker's host or prefix anywhere in the answer."""
    said = everything_said(answer)
    for needle in (EVIL_HOST, EVIL_PREFIX, ":8443"):
        if needle in said:
            return f"names {needle!r} ({answer.status})"
    if answer.headers.get("location", "").startswith("https://127.0.0.1"):
        return "a forged X-Forwarded-Proto reached a redirect"
    return None


def reflected(answer: Answer) -> str | None:
    """The marker sent back as markup (JSON that quotes it is fine when never sniffed)."""
    text = answer.body.decode("utf-8", "replace")
    in_headers = any(RAW_MARKER in value for value in answer.headers.values())
    if RAW_MARKER not in text and not in_headers:
        return None
    kind = answer.headers.get("content-type", "")
    if in_headers or any(word in kind for word in ("html", "javascript", "svg", "xml")):
        return f"marker reflected unescaped ({answer.status} {kind})"
    if answer.headers.get("x-content-type-options") != "nosniff":
        return f"marker in an answer browsers may sniff ({answer.status} {kind})"
    return None


def leaked(answer: Answer, secrets: Mapping[str, str]) -> str | None:
    said = everything_said(answer)
    for name, value in secrets.items():
        if value.lower() in said:
            return f"the {name} is in the answer"
    return None


def redirect_problem(answer: Answer, *, affiliate: bool) -> str | None:
    """A redirect that leaves the site for anywhere but AliExpress (``affiliate``), or at
    all (a sign-in's ``next``)."""
    if not 300 <= answer.status < 400:
        return None
    location = answer.headers.get("location", "")
    if affiliate:
        return None if _AFFILIATE_TARGET.match(location) else f"redirects to {location!r}"
    if not location.startswith("/") or location.startswith(("//", "/\\")):
        return f"redirects off the site: {location!r}"
    if any(ch.isspace() or ord(ch) < 32 for ch in location):
        return f"a browser would drop characters of {location!r}"
    return None
