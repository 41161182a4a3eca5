"""Helpers for the web tests (imported by the tests and by conftest.py)."""

from __future__ import annotations

import html as html_lib
import re
from pathlib import Path
from typing import Any

from flask import Flask
from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from affsite.web.auth import AdminPassword, admin_password

ADMIN_PASSWORD = "correct horse battery staple"
CANARY_SECRET = "CANARY-SECRET-7f3a9c"


def password_store(app: Flask) -> AdminPassword:
    return admin_password(app)


def csrf_token(client: FlaskClient, page: str) -> str:
    text = client.get(page).get_data(as_text=True)
    match = re.search(r'name="csrf_token" value="([^"]+)"', text)
    assert match, f"no CSRF token on {page}"
    return match.group(1)


def log_in(client: FlaskClient, password: str = ADMIN_PASSWORD, **extra: Any) -> TestResponse:
    data: dict[str, Any] = {"password": password}
    if client.application.config.get("WTF_CSRF_ENABLED"):
        data["csrf_token"] = csrf_token(client, "/admin/login")
    return client.post("/admin/login", data=data, **extra)


def field_errors(page: str) -> dict[str, str]:
    """Inline error messages on the settings page, by field name."""
    errors: dict[str, str] = {}
    for chunk in re.split(r'<div class="field[^"]*" id="field-', page)[1:]:
        name = chunk.split('"', 1)[0]
        match = re.search(r'<p class="field-error"[^>]*>(.*?)</p>', chunk, flags=re.S)
        if match:
            errors[name] = html_lib.unescape(match.group(1))
    return errors


def input_value(page: str, name: str) -> str | None:
    """The value attribute of the input named ``name`` (text inputs only)."""
    match = re.search(rf'<input[^>]*name="{name}"[^>]*value="([^"]*)"', page, flags=re.S)
    return html_lib.unescape(match.group(1)) if match else None


def settings_bytes(instance: Path) -> bytes | None:
    path = instance / "settings.json"
    return path.read_bytes() if path.exists() else None
