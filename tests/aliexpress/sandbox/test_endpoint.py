"""The sandbox verifies requests the way the real gateway does: key, signature, time, method."""

from __future__ import annotations

import httpx
import pytest

from affsite.aliexpress.sandbox import DEMO_APP_SECRET, DEMO_TRACKING_ID, Sandbox
from affsite.clock import FakeClock

from .conftest import Call
from .helpers import error_of, reference_sign, result_of, signed

DETAIL = "aliexpress.affiliate.productdetail.get"
VECTOR_SECRET = "test_secret_0123456789abcdef"

# Vector A of the API contract (productdetail.get, sha256), timestamp 1700000000000.
VECTOR_A = {
    "app_key": "500000", "method": DETAIL, "sign_method": "sha256",
    "timestamp": "1700000000000", "format": "json", "v": "2.0", "simplify": "false",
    "product_ids": "1005004757833857,33006951782", "target_currency": "USD",
    "target_language": "EN", "tracking_id": "default", "country": "US",
}  # fmt: skip
VECTOR_A_SIGN = "A2CC336A71DF171C6CA81B92AE02C5275EC4FF0CBA68311F8AC02B7949E4B6A7"
# Vector B (link.generate, md5, a URL value signed raw).
VECTOR_B = {
    "app_key": "500000", "method": "aliexpress.affiliate.link.generate", "sign_method": "md5",
    "timestamp": "1700000000000", "format": "json", "v": "2.0",
    "partner_id": "taobao-sdk-python-20200924", "promotion_link_type": "0",
    "source_values": "https://www.aliexpress.com/item/1005004757833857.html?spm=a2g0o&x=1",
    "tracking_id": "default",
}  # fmt: skip
VECTOR_B_SIGN = "3285A9B41E2EAA03503B047D58395963"


def test_reference_signer_reproduces_documented_vectors() -> None:
    assert reference_sign(VECTOR_A, VECTOR_SECRET, "sha256") == VECTOR_A_SIGN
    assert reference_sign(VECTOR_B, VECTOR_SECRET, "md5") == VECTOR_B_SIGN


@pytest.mark.parametrize(("vector", "sign"), [(VECTOR_A, VECTOR_A_SIGN), (VECTOR_B, VECTOR_B_SIGN)])
def test_documented_vectors_are_accepted_verbatim(vector: dict[str, str], sign: str) -> None:
    # FakeClock starts at exactly the vectors' timestamp.
    sandbox = Sandbox(app_key="500000", app_secret=VECTOR_SECRET, clock=FakeClock())
    with httpx.Client(transport=sandbox.transport(), base_url="http://gw") as http:
        response = http.post("/sync", data={**vector, "sign": sign})
    assert "error_response" not in response.json()
    assert result_of(response.json(), vector["method"])["resp_code"] == 200


@pytest.mark.parametrize("sign_method", ["sha256", "md5"])
def test_both_sign_methods_are_accepted(call: Call, sign_method: str) -> None:
    response = call(DETAIL, sign_method, product_ids="1005004757833857")
    assert result_of(response.json(), DETAIL)["resp_code"] == 200


@pytest.mark.parametrize("sign_method", ["sha256", "md5"])
@pytest.mark.parametrize("tamper", ["value", "signature", "lowercase", "extra_param"])
def test_one_changed_character_is_rejected(
    http: httpx.Client, clock: FakeClock, sign_method: str, tamper: str
) -> None:
    form = signed(
        DETAIL, timestamp_ms=int(clock() * 1000), sign_method=sign_method,
        product_ids="1005004757833857",
    )  # fmt: skip
    if tamper == "value":
        form["product_ids"] = "1005004757833858"
    elif tamper == "signature":
        form["sign"] = form["sign"][:-1] + ("0" if form["sign"][-1] != "0" else "1")
    elif tamper == "lowercase":
        form["sign"] = form["sign"].lower()
    else:
        form["target_currency"] = "EUR"  # an unsigned extra parameter
    assert error_of(http.post("/sync", data=form))["code"] == "IncompleteSignature"


def test_wrong_secret_and_swapped_sign_method_are_signature_errors(
    http: httpx.Client, clock: FakeClock
) -> None:
    now = int(clock() * 1000)
    wrong_secret = signed(DETAIL, timestamp_ms=now, secret="not-the-secret", product_ids="1")
    assert error_of(http.post("/sync", data=wrong_secret))["code"] == "IncompleteSignature"
    md5_labelled_sha = signed(DETAIL, timestamp_ms=now, product_ids="1")
    md5_labelled_sha["sign_method"] = "md5"
    assert error_of(http.post("/sync", data=md5_labelled_sha))["code"] == "IncompleteSignature"
    unsupported = signed(DETAIL, timestamp_ms=now, product_ids="1")
    unsupported["sign_method"] = "hmac"
    unsupported["sign"] = reference_sign(unsupported, DEMO_APP_SECRET, "sha256")
    assert error_of(http.post("/sync", data=unsupported))["code"] == "IncompleteSignature"


def test_unknown_or_missing_app_key_is_rejected(http: httpx.Client, clock: FakeClock) -> None:
    form = signed(DETAIL, timestamp_ms=int(clock() * 1000), app_key="999", product_ids="1")
    error = error_of(http.post("/sync", data=form))
    assert error["code"] == "InvalidAppKey"
    assert error["msg"] == "The specified App Key is invalid"
    form = signed(DETAIL, timestamp_ms=int(clock() * 1000), product_ids="1")
    del form["app_key"]
    assert error_of(http.post("/sync", data=form))["code"] == "InvalidAppKey"


@pytest.mark.parametrize(
    ("skew_seconds", "accepted"),
    [(0, True), (7200, True), (-7200, True), (7201, False), (-7201, False), (86_400, False)],
)
def test_timestamp_must_be_within_7200_seconds(
    http: httpx.Client, clock: FakeClock, skew_seconds: int, accepted: bool
) -> None:
    form = signed(
        DETAIL, timestamp_ms=int((clock() + skew_seconds) * 1000), product_ids="33006951782"
    )
    body = http.post("/sync", data=form).json()
    if accepted:
        assert result_of(body, DETAIL)["resp_code"] == 200
    else:
        assert body["error_response"]["code"] == "InvalidTimestamp"


def test_timestamp_that_is_not_epoch_milliseconds_is_rejected(
    http: httpx.Client, clock: FakeClock
) -> None:
    form = signed(DETAIL, timestamp_ms=0, product_ids="33006951782")
    form["timestamp"] = "2023-11-14 22:13:20"
    form["sign"] = reference_sign(form, DEMO_APP_SECRET, "sha256")
    assert error_of(http.post("/sync", data=form))["code"] == "InvalidTimestamp"


@pytest.mark.parametrize("method", ["", "aliexpress.affiliate.nosuch.get", "taobao.item.get"])
def test_missing_or_unknown_method_is_an_api_path_error(call: Call, method: str) -> None:
    assert error_of(call(method))["code"] == "InvalidApiPath"


def test_parameters_may_be_split_between_query_and_body(
    http: httpx.Client, clock: FakeClock
) -> None:
    form = signed(
        DETAIL, timestamp_ms=int(clock() * 1000), product_ids="33006951782",
        tracking_id=DEMO_TRACKING_ID,
    )  # fmt: skip
    system = {k: form[k] for k in ("app_key", "method", "sign_method", "timestamp", "sign")}
    application = {k: v for k, v in form.items() if k not in system}
    response = http.post("/sync", params=system, data=application)
    assert result_of(response.json(), DETAIL)["resp_code"] == 200
    response = http.get("/sync", params=form)
    assert result_of(response.json(), DETAIL)["resp_code"] == 200


def test_every_call_is_recorded_with_its_parameters(sandbox: Sandbox, call: Call) -> None:
    call(DETAIL, product_ids="33006951782")
    call("aliexpress.affiliate.category.get")
    call("aliexpress.affiliate.category.get", app_key="wrong")
    assert sandbox.call_count() == 3
    assert sandbox.call_count("aliexpress.affiliate.category.get") == 2
    assert sandbox.calls[0].params["product_ids"] == "33006951782"
    assert [c.outcome for c in sandbox.calls] == ["ok", "ok", "InvalidAppKey"]


def test_multipart_form_is_accepted_and_file_parts_are_not_signed(
    http: httpx.Client, clock: FakeClock
) -> None:
    form = signed(DETAIL, timestamp_ms=int(clock() * 1000), product_ids="33006951782")
    response = http.post("/sync", data=form, files={"attachment": ("a.bin", b"\x00\x01")})
    assert response.request.headers["content-type"].startswith("multipart/form-data")
    assert result_of(response.json(), DETAIL)["resp_code"] == 200
