"""Checking and converting setting values: form text, environment text or stored JSON in,
typed values (or one message per field that names it and the fix) out.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from dataclasses import replace
from typing import Any
from urllib.parse import urlsplit

from affsite.aliexpress.protocol import api_url_problem
from affsite.errors import SettingsError
from affsite.settings.countries import COMMON_MISTAKES, COUNTRIES
from affsite.settings.schema import (
    DEFAULT_API_URL,
    DEFAULTS,
    FIELDS,
    MAX_FEATURED_PRODUCTS,
    SCHEMA,
    Field,
    Settings,
    days_text,
)

_APP_KEY = re.compile(r"[0-9]{1,32}")
_TRACKING_ID = re.compile(r"[A-Za-z0-9_\-]{1,64}")
_SECRET = re.compile(r"[!-~]{1,128}")  # printable ASCII, no spaces
_HOST = re.compile(r"[a-z0-9]([a-z0-9\-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9\-]*[a-z0-9])?)*")


class _Invalid(ValueError):
    """A value failed validation; the message names the field and the fix."""


def _quote(value: object) -> str:
    text = str(value)
    return repr(text if len(text) <= 40 else text[:40] + "…")


def number_text(value: float) -> str:
    """A number as people write it: no exponent, no trailing ``.0``."""
    return str(int(value)) if value == int(value) else f"{value:.10f}".rstrip("0").rstrip(".")


def _bounds_text(f: Field) -> str:
    low, high = f.minimum or 0, f.maximum or 0
    text = f"between {number_text(low)} and {number_text(high)}"
    if f.unit == "seconds" and high is not None and high >= 86_400:
        text += f" ({days_text(high)})"
    return text


def _parse_text(f: Field, raw: object) -> str:
    if not isinstance(raw, str):
        raise _Invalid(f"{f.label}: must be text.")
    value = raw.strip()
    if len(value) > f.max_length:
        raise _Invalid(f"{f.label}: is {len(value)} characters long; use at most {f.max_length}.")
    if any(ord(c) < 32 and c not in "\n\t" for c in value):
        raise _Invalid(f"{f.label}: contains control characters; type it as plain text.")
    return value


def _parse_matching(f: Field, raw: object, pattern: re.Pattern[str], problem: str) -> str:
    """Text that is empty or matches ``pattern``; else ``problem``, where ``{value}`` stands
    for the value as typed (leave it out for secrets: messages end up in pages and logs)."""
    value = _parse_text(f, raw)
    if value and not pattern.fullmatch(value):
        raise _Invalid(f"{f.label}: " + problem.replace("{value}", _quote(value)))
    return value


# Fields that are free text of a known form: the pattern, and what to say when it fails.
_FORMS: dict[str, tuple[re.Pattern[str], str]] = {
    "app_key": (
        _APP_KEY,
        "{value} is not an App Key; copy the number (digits only, e.g. 500000) from the "
        "AliExpress Open Platform console.",
    ),
    "app_secret": (
        _SECRET,
        "contains spaces or characters a secret never has; copy it again from the AliExpress "
        "Open Platform console (without spaces).",
    ),
    "tracking_id": (
        _TRACKING_ID,
        "{value} is not a tracking ID; use the ID exactly as shown in AliExpress Portals "
        "(letters, digits, '_' and '-', at most 64).",
    ),
}


def _parse_country(f: Field, raw: object) -> str:
    value = _parse_text(f, raw).upper()
    if value in COUNTRIES:
        return value
    hint = COMMON_MISTAKES.get(value)
    if hint:
        raise _Invalid(
            f"{f.label}: {_quote(value)} is not a two-letter ISO 3166 code; "
            f"use {hint} ({COUNTRIES[hint]})."
        )
    raise _Invalid(
        f"{f.label}: {_quote(value)} is not a two-letter ISO 3166 code; use e.g. US, DE, FR."
    )


# What a choice field's values are, for its message; AliExpress fixes some, affsite others.
_CHOICE_WHAT = {
    "currency": "a currency AliExpress accepts",
    "language": "a language AliExpress accepts",
    "sign_method": "a sign method AliExpress accepts",
    "box_template": "a box template",
    "box_theme": "a theme",
    "unavailable_display": "one of the ways to show an unavailable product",
}


def _parse_choice(f: Field, raw: object) -> str:
    text = _parse_text(f, raw)
    allowed = f.choice_values()
    for value in allowed:
        if value.casefold() == text.casefold():
            return value
    what = _CHOICE_WHAT.get(f.name, "a value")
    raise _Invalid(f"{f.label}: {_quote(text)} is not {what}; choose one of {', '.join(allowed)}.")


_ON = frozenset({"on", "true", "yes", "1"})
_OFF = frozenset({"off", "false", "no", "0", ""})


def _parse_flag(f: Field, raw: object) -> bool:
    if isinstance(raw, bool):
        return raw
    text = _parse_text(f, raw).casefold()
    if text in _ON or text in _OFF:
        return text in _ON
    raise _Invalid(f"{f.label}: {_quote(text)} is neither on nor off; choose on or off.")


def _parse_button_text(f: Field, raw: object) -> str:
    value = " ".join(_parse_text(f, raw).split())
    if not value:
        raise _Invalid(
            f"{f.label}: must not be empty; buttons need words, e.g. {DEFAULTS.button_text!r}."
        )
    if any(0x200B <= ord(c) <= 0x200F or 0x202A <= ord(c) <= 0x202E for c in value):
        raise _Invalid(f"{f.label}: contains invisible direction marks; type it as plain text.")
    return value


def _parse_number(f: Field, raw: object, *, integer: bool) -> float:
    kind = "a whole number" if integer else "a number"
    if isinstance(raw, bool):
        raise _Invalid(f"{f.label}: must be {kind}.")
    number: float
    if isinstance(raw, int | float):
        number = raw
    elif isinstance(raw, str):
        text = raw.strip().replace(",", "") if integer else raw.strip()
        if not text:
            raise _Invalid(f"{f.label}: is empty; enter {kind} {_bounds_text(f)}.")
        try:
            number = int(text) if integer else float(text)
        except ValueError:
            raise _Invalid(
                f"{f.label}: {_quote(raw.strip())} is not {kind}; enter {kind} {_bounds_text(f)}."
            ) from None
    else:
        raise _Invalid(f"{f.label}: must be {kind}.")
    if not math.isfinite(number):
        raise _Invalid(f"{f.label}: must be {kind} {_bounds_text(f)}.")
    if integer and number != int(number):
        raise _Invalid(
            f"{f.label}: {number_text(number)} is not {kind}; enter {kind} {_bounds_text(f)}."
        )
    if (f.minimum is not None and number < f.minimum) or (
        f.maximum is not None and number > f.maximum
    ):
        unit = f" {f.unit}" if f.unit else ""
        raise _Invalid(
            f"{f.label}: {number_text(number)}{unit} is out of range; "
            f"enter {kind} {_bounds_text(f)}."
        )
    return number


def _parse_url(f: Field, raw: object) -> str:
    # Only scheme, host, port and path: the address is also written into the embed pages'
    # Content-Security-Policy, where a space or ";" would add directives of its own.
    value = _parse_text(f, raw)
    problem = api_url_problem(value)
    if problem is not None:
        # An address with user info may carry a password: never repeat it.
        shown = "the address" if "@" in value else _quote(value)
        raise _Invalid(f"{f.label}: {shown} {problem}; use e.g. {DEFAULT_API_URL}")
    return value


def _parse_origin(f: Field, item: str) -> str:
    parts = urlsplit(item.strip().rstrip("/"))
    try:
        port_ok = parts.port is None or 0 < parts.port < 65_536
    except ValueError:
        port_ok = False
    host = (parts.hostname or "").lower()
    if (
        parts.scheme.lower() not in ("http", "https")
        or not _HOST.fullmatch(host)
        or not port_ok
        or parts.path
        or parts.query
        or parts.fragment
        or parts.username
        or parts.password
    ):
        raise _Invalid(
            f"{f.label}: {_quote(item.strip())} is not a site address; write it as "
            "https://example.com (scheme and host only, no path)."
        )
    port = f":{parts.port}" if parts.port else ""
    return f"{parts.scheme.lower()}://{host}{port}"


def _parse_origins(f: Field, raw: object) -> tuple[str, ...]:
    if isinstance(raw, str):
        if len(raw) > f.max_length:
            raise _Invalid(f"{f.label}: is too long; list at most 50 sites.")
        items = [item for item in re.split(r"[\s,]+", raw) if item]
    elif isinstance(raw, list | tuple) and all(isinstance(item, str) for item in raw):
        items = list(raw)
    else:
        raise _Invalid(f"{f.label}: must be a list of site addresses.")
    if len(items) > 50:
        raise _Invalid(f"{f.label}: lists {len(items)} sites; at most 50 are allowed.")
    origins: list[str] = []
    for item in items:
        origin = _parse_origin(f, item)
        if origin not in origins:
            origins.append(origin)
    return tuple(origins)


def _parse_products(f: Field, raw: object) -> tuple[str, ...]:
    # Offline on purpose: validation must not wait on the network. Short links are resolved
    # by the "Add products by URL" box, which then saves plain ids here.
    from affsite.product_ids import resolve

    if isinstance(raw, str):
        if len(raw) > f.max_length:
            raise _Invalid(
                f"{f.label}: is too long; list at most {MAX_FEATURED_PRODUCTS} products."
            )
        items = [line.strip() for line in raw.splitlines() if line.strip()]
    elif isinstance(raw, list | tuple) and all(isinstance(item, str) for item in raw):
        items = [item.strip() for item in raw if item.strip()]
    else:
        raise _Invalid(f"{f.label}: must be a list of product IDs or addresses.")
    ids: list[str] = []
    unusable: list[str] = []
    for item in items:
        found = resolve(item, offline=True)
        if found.id is None:
            unusable.append(f"{_quote(item)} ({found.error})")
        elif found.id not in ids:
            ids.append(found.id)
    if unusable:
        listed = "; ".join(unusable[:3]) + ("; …" if len(unusable) > 3 else "")
        raise _Invalid(
            f"{f.label}: not product references: {listed}. Paste each product's address or "
            "its numeric ID on a line of its own."
        )
    if len(ids) > MAX_FEATURED_PRODUCTS:
        raise _Invalid(
            f"{f.label}: lists {len(ids)} products; at most {MAX_FEATURED_PRODUCTS} are allowed."
        )
    return tuple(ids)


def _parse_disclosure(f: Field, raw: object) -> str:
    value = " ".join(_parse_text(f, raw).split())
    if not value:
        raise _Invalid(
            f"{f.label}: must not be empty; affiliate links need a visible disclosure, "
            f"e.g. {DEFAULTS.disclosure!r}"
        )
    return value


def parse_value(name: str, raw: object) -> Any:
    """Validate and normalise one raw value (form text, environment text or stored JSON).

    :raise SettingsError: with one message naming the field and the fix.
    """
    f = FIELDS.get(name)
    if f is None:
        raise SettingsError({name: f"{name}: is not a setting affsite knows."})
    try:
        return _parse_field(f, raw)
    except _Invalid as exc:
        raise SettingsError({name: str(exc)}) from None


def _parse_field(f: Field, raw: object) -> Any:
    if f.name in _FORMS:
        return _parse_matching(f, raw, *_FORMS[f.name])
    if f.name == "country":
        return _parse_country(f, raw)
    if f.name == "disclosure":
        return _parse_disclosure(f, raw)
    if f.name == "button_text":
        return _parse_button_text(f, raw)
    if f.kind == "flag":
        return _parse_flag(f, raw)
    if f.kind == "choice":
        return _parse_choice(f, raw)
    if f.kind == "int":
        return int(_parse_number(f, raw, integer=True))
    if f.kind == "float":
        return float(_parse_number(f, raw, integer=False))
    if f.kind == "url":
        return _parse_url(f, raw)
    if f.kind == "origins":
        return _parse_origins(f, raw)
    if f.kind == "products":
        return _parse_products(f, raw)
    return _parse_text(f, raw)


def cross_check(values: Settings) -> dict[str, str]:
    """Rules that involve more than one field; maps field name -> message."""
    errors: dict[str, str] = {}
    if values.admin_reserve >= values.daily_quota:
        label = FIELDS["admin_reserve"].label
        errors["admin_reserve"] = (
            f"{label}: {values.admin_reserve} leaves nothing of the daily quota "
            f"({values.daily_quota}) for page views; use a number below {values.daily_quota}."
        )
    return errors


def validate(changes: Mapping[str, object], base: Settings = DEFAULTS) -> Settings:
    """Apply raw ``changes`` to ``base`` and return the result, or raise one SettingsError
    carrying a message for every invalid field (nothing is applied partially).
    """
    errors: dict[str, str] = {}
    parsed: dict[str, Any] = {}
    for name, raw in changes.items():
        try:
            parsed[name] = parse_value(name, raw)
        except SettingsError as exc:
            errors.update(exc.errors)
    if errors:
        raise SettingsError(errors)
    result = replace(base, **parsed)
    errors = cross_check(result)
    if errors:
        raise SettingsError(errors)
    return result


def to_json(values: Settings) -> dict[str, Any]:
    """The stored form of ``values`` (tuples become lists)."""
    data: dict[str, Any] = {}
    for f in SCHEMA:
        value = getattr(values, f.name)
        data[f.name] = list(value) if isinstance(value, tuple) else value
    return data


def form_text(name: str, value: object) -> str:
    """How a typed value is shown in the admin form."""
    if isinstance(value, tuple | list):
        return "\n".join(str(item) for item in value)
    if isinstance(value, bool):
        return "on" if value else "off"
    if isinstance(value, float):
        return number_text(value)
    return str(value)


def mask_secret(secret: str) -> str:
    """Bullets plus the last 4 characters (none of them for short values)."""
    if not secret:
        return ""
    tail = secret[-4:] if len(secret) >= 12 else ""
    return "•" * 8 + tail
