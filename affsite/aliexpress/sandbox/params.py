"""Reading the parameters of a sandbox call as the gateway does, and the refusals it answers
with (``GatewayError``: an ``error_response`` body with HTTP 200).
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence

from affsite.aliexpress.sandbox.money import CURRENCIES, LANGUAGES

Params = Mapping[str, str]

_COUNTRY = re.compile(r"^[A-Za-z]{2}$")


class GatewayError(Exception):
    """A gateway-level refusal, answered as ``{"error_response": {...}}`` with HTTP 200."""

    def __init__(self, code: str, msg: str, *, type_: str = "ISV") -> None:
        super().__init__(f"{code}: {msg}")
        self.code = code
        self.msg = msg
        self.type = type_


def missing_parameter(name: str) -> GatewayError:
    return GatewayError(
        "MissingParameter",
        f'The input parameter "{name}" that is mandatory for processing this request '
        "is not supplied",
    )


def invalid_parameter(name: str, why: str) -> GatewayError:
    return GatewayError("InvalidParameter", f'The input parameter "{name}" is invalid: {why}')


def optional(params: Params, name: str) -> str | None:
    value = params.get(name)
    return value if value else None


def int_param(params: Params, name: str, default: int, low: int, high: int) -> int:
    raw = optional(params, name)
    if raw is None:
        return default
    if not raw.isdigit() or not low <= int(raw) <= high:
        raise invalid_parameter(name, f"must be a whole number from {low} to {high}")
    return int(raw)


def choice(params: Params, name: str, allowed: Sequence[str], default: str | None) -> str | None:
    raw = optional(params, name)
    if raw is None:
        return default
    if raw.upper() not in allowed:
        raise invalid_parameter(name, f"must be one of {', '.join(allowed)}")
    return raw.upper()


def target_currency(params: Params) -> str:
    return choice(params, "target_currency", CURRENCIES, "USD") or "USD"


def target_language(params: Params) -> str:
    return choice(params, "target_language", LANGUAGES, "EN") or "EN"


def country_code(params: Params, name: str) -> str | None:
    raw = optional(params, name)
    if raw is None:
        return None
    if not _COUNTRY.fullmatch(raw):
        raise invalid_parameter(name, "must be a two-letter country code")
    return raw.upper()


def comma_list(params: Params, name: str) -> list[str]:
    return [part.strip() for part in params.get(name, "").split(",") if part.strip()]


def requested_fields(params: Params) -> frozenset[str] | None:
    names = comma_list(params, "fields")
    return frozenset(names) if names else None
