"""The gateway's error tree: what may be retried, and a plain-language fix on every class."""

from __future__ import annotations

import pytest

from affsite.aliexpress.errors import (
    ApiCallLimit,
    ApiError,
    ApiResponseError,
    CredentialsError,
    GatewayUnavailable,
    IncompleteSignature,
    InvalidAppKey,
    PublisherNotRegistered,
)
from affsite.errors import AffsiteError

ALL: list[type[ApiError]] = [
    ApiError,
    CredentialsError,
    InvalidAppKey,
    IncompleteSignature,
    PublisherNotRegistered,
    ApiCallLimit,
    GatewayUnavailable,
    ApiResponseError,
]


@pytest.mark.parametrize("error_class", ALL)
def test_every_class_is_an_affsite_error_with_its_own_fix(error_class: type[ApiError]) -> None:
    assert issubclass(error_class, AffsiteError)
    assert error_class.fix.endswith(".")
    if error_class is not ApiError:
        assert error_class.fix != ApiError.fix


def test_only_transient_failures_are_retried() -> None:
    assert {c for c in ALL if c.retryable} == {ApiCallLimit, GatewayUnavailable}
    assert GatewayUnavailable("x", retryable=False).retryable is False


def test_a_rate_limit_carries_its_ban_and_a_readable_message() -> None:
    error = ApiCallLimit(2.5)
    assert error.ban_seconds == 2.5 and error.code == "ApiCallLimit"
    assert "2.5 s" in str(error)
    assert ApiCallLimit(-3).ban_seconds == 0.0


def test_code_request_id_and_fix_are_kept() -> None:
    error = ApiResponseError("boom", code="X1", request_id="r-1", fix="Do this.")
    assert (error.code, error.request_id, error.fix) == ("X1", "r-1", "Do this.")
