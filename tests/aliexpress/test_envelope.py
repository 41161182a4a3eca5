"""Reading one gateway answer: ``result`` out, or the error the answer describes."""

from __future__ import annotations

import json
from typing import Any

import pytest

from affsite.aliexpress.envelope import (
    MAX_BAN_SECONDS,
    parse_ban_seconds,
    parse_response,
    response_key,
)
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
from affsite.aliexpress.protocol import CATEGORY_GET, PRODUCT_DETAIL
from affsite.errors import AffsiteError

from .fakes import SECRET, details_result, envelope, error_body, raw_product


def parse(answer: Any, status: int = 200, method: str = PRODUCT_DETAIL) -> dict[str, Any]:
    body = answer if isinstance(answer, bytes) else json.dumps(answer).encode("utf-8")
    return parse_response(method, status, body)


def test_response_key_names_the_wrapper() -> None:
    assert response_key(PRODUCT_DETAIL) == "aliexpress_affiliate_productdetail_get_response"


@pytest.mark.parametrize("code", [200, "200", 200.0, " 200 "])
def test_resp_code_compared_as_text(code: Any) -> None:
    result = parse(envelope(PRODUCT_DETAIL, details_result(raw_product(5)), code=code))
    assert result["current_record_count"] == 1


def test_resp_code_405_is_an_empty_answer_not_an_error() -> None:
    assert parse(envelope(PRODUCT_DETAIL, None, code=405, msg="The result is empty")) == {}


def test_result_directly_under_the_wrapper_is_accepted() -> None:
    answer = {response_key(PRODUCT_DETAIL): {"result": details_result(raw_product(9))}}
    assert parse(answer)["current_record_count"] == 1


def test_an_empty_result_is_an_empty_object() -> None:
    assert parse(envelope(CATEGORY_GET, ""), method=CATEGORY_GET) == {}


@pytest.mark.parametrize(
    ("answer", "error_class"),
    [
        (error_body("InvalidAppKey", "The specified App Key is invalid"), InvalidAppKey),
        (
            error_body(
                "IncompleteSignature",
                "The request signature does not conform to platform standards",
            ),
            IncompleteSignature,
        ),
        (
            envelope(PRODUCT_DETAIL, None, code=401, msg="This publisher is not registered"),
            PublisherNotRegistered,
        ),
        (envelope(PRODUCT_DETAIL, None, code=404, msg="System Error"), ApiResponseError),
        (error_body("SomethingNew", "whatever"), ApiResponseError),
        (error_body("isp.backend-down", "service error", kind="ISP"), GatewayUnavailable),
        (
            {"type": "ISV", "code": "IncompleteSignature", "message": "bad sign"},
            IncompleteSignature,
        ),
        (error_body("ApiCallLimit", "this ban will last 1 seconds"), ApiCallLimit),
    ],
)
def test_every_error_maps_to_its_class_with_a_fix(
    answer: dict[str, Any], error_class: type[ApiError]
) -> None:
    with pytest.raises(error_class) as caught:
        parse(answer)
    error = caught.value
    assert isinstance(error, AffsiteError)
    assert error.fix and error.fix != ApiError.fix or error_class is ApiResponseError
    assert SECRET not in str(error)


def test_an_error_response_wins_over_the_http_status() -> None:
    with pytest.raises(InvalidAppKey):
        parse(error_body("InvalidAppKey", "The specified App Key is invalid"), status=403)


def test_credential_errors_share_a_base_class() -> None:
    for error_class in (InvalidAppKey, IncompleteSignature, PublisherNotRegistered):
        assert issubclass(error_class, CredentialsError)
        assert error_class.retryable is False


def test_signature_fix_names_the_secret_and_the_sign_method() -> None:
    with pytest.raises(IncompleteSignature) as caught:
        parse(error_body("IncompleteSignature", "The request signature does not conform"))
    assert "App Secret" in caught.value.fix and "sha256" in caught.value.fix


def test_unknown_error_code_keeps_the_code() -> None:
    with pytest.raises(ApiResponseError) as caught:
        parse(error_body("InvalidTimestamp", "stale"))
    assert caught.value.code == "InvalidTimestamp"
    assert "clock" in caught.value.fix


@pytest.mark.parametrize(
    ("message", "seconds"),
    [
        ("Api access frequency exceeds the limit. this ban will last 1 seconds", 1.0),
        ("Api access frequency exceeds the limit. this ban will last 17 seconds", 17.0),
        ("This ban will last for 37 more seconds", 37.0),
        ("no number here", 1.0),
        ("this ban will last 0 seconds", 1.0),  # a ban is waited out for at least a second
    ],
)
def test_rate_limit_ban_seconds_parsed(message: str, seconds: float) -> None:
    with pytest.raises(ApiCallLimit) as caught:
        parse(error_body("ApiCallLimit", message))
    assert caught.value.ban_seconds == seconds


@pytest.mark.parametrize(
    "message",
    [
        "this ban will last 99999999999 seconds",
        "this ban will last 999999999999999999999999999999 seconds",
        "this ban will last " + "9" * 5000 + " seconds",
    ],
)
def test_an_absurd_ban_lasts_at_most_a_day(message: str) -> None:
    """Issue 8, row 1 (same class): a ban the gateway claims is never longer than a day."""
    with pytest.raises(ApiCallLimit) as caught:
        parse(error_body("ApiCallLimit", message))
    assert 1.0 <= caught.value.ban_seconds <= MAX_BAN_SECONDS
    assert parse_ban_seconds(message) <= MAX_BAN_SECONDS


@pytest.mark.parametrize(
    ("body", "status", "words"),
    [
        (b"Internal Server Error", 500, "HTTP 500"),
        (b'{"oops": 1}', 503, "HTTP 503"),
        (b"<html><body>Access denied</body></html>", 200, "web page"),
        (b'{"aliexpress_affiliate_category_get_response": {"resp_re', 200, "not valid JSON"),
        (b"", 200, "not valid JSON"),
        (b'["unexpected"]', 200, "unexpected"),
        (b'{"some_other_response": {}}', 200, "no aliexpress_affiliate"),
        (json.dumps(envelope(CATEGORY_GET, ["a", "list"])).encode(), 200, "unexpected"),
        (b"\xff\xfe\x00garbage", 200, "not valid JSON"),
        (b"[" * 100_000 + b"]" * 100_000, 200, "not valid JSON"),  # too deep to read
        (
            b'{"aliexpress_affiliate_category_get_response": {"resp_result": {"resp_msg": "?"}}}',
            200,
            "without a resp_code",
        ),
    ],
)
def test_unusable_answers_are_gateway_unavailable(body: bytes, status: int, words: str) -> None:
    with pytest.raises(GatewayUnavailable) as caught:
        parse_response(CATEGORY_GET, status, body)
    assert words in str(caught.value)
    assert "<html>" not in str(caught.value)  # never the raw body


@pytest.mark.parametrize("status", [408, 429])
def test_timeouts_and_throttling_statuses_may_be_retried(status: int) -> None:
    with pytest.raises(GatewayUnavailable) as caught:
        parse_response(CATEGORY_GET, status, b"")
    assert caught.value.retryable is True


def test_other_statuses_mean_a_wrong_address_and_are_final() -> None:
    with pytest.raises(GatewayUnavailable) as caught:
        parse_response(CATEGORY_GET, 404, b"Not Found")
    assert caught.value.retryable is False


def test_hostile_error_texts_are_cut_and_made_printable() -> None:
    answer = error_body("X\x1b[2J" * 100, "msg\r\n\x07" + "y" * 10_000)
    with pytest.raises(ApiResponseError) as caught:
        parse(answer)
    message = str(caught.value)
    assert len(message) < 400
    assert all(ch.isprintable() for ch in message)


def test_integers_too_long_for_any_field_are_read_as_missing() -> None:
    """Reading a 4,000-digit integer costs quadratic time, and 4,301 digits fail the whole
    answer: no field holds such a number, so it is read as null."""
    text = json.dumps(envelope(PRODUCT_DETAIL, details_result(raw_product(1))))
    for digits in (4000, 5000):
        long_volume = text.replace('"lastest_volume": 1289', '"lastest_volume": ' + "9" * digits)
        result = parse_response(PRODUCT_DETAIL, 200, long_volume.encode())
        assert result["products"]["product"][0]["lastest_volume"] is None
