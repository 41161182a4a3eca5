"""Every refusal carries one reason word and a fix a site owner can act on."""

from __future__ import annotations

import pytest

from affsite.aliexpress.errors import ApiError
from affsite.limits import (
    Banned,
    CallRefused,
    CredentialsRefused,
    GatewayDown,
    LimitsUnavailable,
    QuotaExhausted,
    RateLimited,
)

REFUSALS = [QuotaExhausted, Banned, GatewayDown, CredentialsRefused, RateLimited, LimitsUnavailable]


@pytest.mark.parametrize("refusal", REFUSALS)
def test_each_refusal_has_its_own_reason_word_and_a_fix(refusal: type[CallRefused]) -> None:
    error = refusal("no", until=5.0)
    assert isinstance(error, ApiError)
    assert error.reason.isidentifier() and error.reason != CallRefused.reason
    assert error.fix and error.fix != ApiError.fix
    assert error.until == 5.0
    assert len({r.reason for r in REFUSALS}) == len(REFUSALS)


def test_limits_unavailable_tells_what_to_do() -> None:
    error = LimitsUnavailable("the cache folder /x cannot be written: the disk is full")
    assert error.reason == "limits_unavailable"
    assert "free disk space" in str(error.fix).lower()
    assert "resume by themselves" in str(error.fix)
