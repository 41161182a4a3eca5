"""A signed-in admin over HTTP, as a browser would be: the session cookie the sign-in set,
and the CSRF token the last page carried."""

from __future__ import annotations

import re
from urllib.parse import urlencode

from .traffic import Answer, Client

_CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')
_SESSION = re.compile(r"(affsite_session=[^;]+)")


class Admin:
    """A signed-in admin over HTTP: the session cookie and a CSRF token from the pages."""

    def __init__(self, url: str) -> None:
        self.client = Client(url, keep_alive=False)
        self.cookie = ""
        self.token = ""

    def _headers(self, extra: dict[str, str] | None = None) -> dict[str, str]:
        headers = {"Cookie": self.cookie} if self.cookie else {}
        return {**headers, **(extra or {})}

    def _remember(self, answer: Answer) -> Answer:
        found = _SESSION.search(answer.headers.get("set-cookie", ""))
        if found:
            self.cookie = found.group(1)
        token = _CSRF.search(answer.body.decode("utf-8", "replace"))
        if token:
            self.token = token.group(1)
        return answer

    def get(self, path: str) -> Answer:
        return self._remember(self.client.request(path, headers=self._headers()))

    def post(
        self, path: str, form: dict[str, str], *, token: bool = True, **headers: str
    ) -> Answer:
        fields = {**form, "csrf_token": self.token} if token else dict(form)
        body = urlencode(fields).encode()
        extra = {"Content-Type": "application/x-www-form-urlencoded", **headers}
        answer = self.client.request(path, method="POST", headers=self._headers(extra), body=body)
        return self._remember(answer)

    def log_in(self, password: str) -> None:
        self.get("/admin/login")
        answer = self.post("/admin/login", {"password": password})
        assert answer.status == 303, answer.body[:500]
        self.get("/admin/settings")

    def save_settings(self, changes: dict[str, str]) -> Answer:
        self.get("/admin/settings")
        return self.post("/admin/settings", changes)

    def close(self) -> None:
        self.client.close()
