"""Every signing vector of aliexpress-api.md section 3, reproduced exactly."""

from __future__ import annotations

import pytest

from affsite.aliexpress.signing import clean_params, sign, signed_params, string_to_sign

HELLO = "helloworld"
OURS = "test_secret_0123456789abcdef"

# 3.1: official vectors (docId 1385 and the HTTP sample).
OFFICIAL = [
    (
        {
            "access_token": "test",
            "aliexpress_category_id": "200135143",
            "app_key": "123456",
            "method": "aliexpress.logistics.redefining.getonlinelogisticsinfo",
            "sign_method": "sha256",
            "timestamp": "1517820392000",
        },
        None,
        "F7F7926B67316C9D1E8E15F7E66940ED3059B1638C497D77973F30046EFB5BBB",
    ),
    (
        {
            "app_key": "12345678",
            "code": "3_500102_JxZ05Ux3cnnSSUm6dCxYg6Q26",
            "sign_method": "sha256",
            "timestamp": "1517820392000",
        },
        "/auth/token/create",
        "35607762342831B6A417A0DED84B79C05FEFBF116969C48AD6DC00279A9F4D81",
    ),
    (
        {
            "app_key": "12345678",
            "method": "aliexpress.affiliate.category.get",
            "sign_method": "sha256",
            "timestamp": "1517820392000",
        },
        None,
        "F3ABBAB059750C3CD6D341A2FDA939ECB0FA892120E9196270ED67D6EC1511DD",
    ),
    (
        {
            "access_token": "test",
            "app_key": "123456",
            "order_id": "1234",
            "sign_method": "sha256",
            "timestamp": "1517820392000",
        },
        "/order/get",
        "4190D32361CFB9581350222F345CB77F3B19F0E31D162316848A2C1FFD5FAB4A",
    ),
]


@pytest.mark.parametrize(("params", "api_path", "expected"), OFFICIAL)
def test_official_vectors(params: dict[str, str], api_path: str | None, expected: str) -> None:
    assert sign(params, HELLO, "sha256", api_path) == expected


VECTOR_A = {
    "app_key": "500000",
    "method": "aliexpress.affiliate.productdetail.get",
    "sign_method": "sha256",
    "timestamp": "1700000000000",
    "format": "json",
    "v": "2.0",
    "simplify": "false",
    "product_ids": "1005004757833857,33006951782",
    "target_currency": "USD",
    "target_language": "EN",
    "tracking_id": "default",
    "country": "US",
}
VECTOR_B = {
    "app_key": "500000",
    "method": "aliexpress.affiliate.link.generate",
    "sign_method": "md5",
    "timestamp": "1700000000000",
    "format": "json",
    "v": "2.0",
    "partner_id": "taobao-sdk-python-20200924",
    "promotion_link_type": "0",
    "source_values": "https://www.aliexpress.com/item/1005004757833857.html?spm=a2g0o&x=1",
    "tracking_id": "default",
}
VECTOR_C = {
    "app_key": "500000",
    "method": "aliexpress.affiliate.product.query",
    "sign_method": "md5",
    "timestamp": "1700000000000",
    "format": "json",
    "v": "2.0",
    "keywords": "café mug 咖啡杯",
    "page_no": "1",
    "page_size": "50",
    "sort": "LAST_VOLUME_DESC",
    "target_currency": "EUR",
    "target_language": "ES",
    "ship_to_country": "ES",
    "tracking_id": "default",
}


def test_vector_a_productdetail_sha256() -> None:
    assert string_to_sign(VECTOR_A) == (
        "app_key500000countryUSformatjsonmethodaliexpress.affiliate.productdetail.get"
        "product_ids1005004757833857,33006951782sign_methodsha256simplifyfalse"
        "target_currencyUSDtarget_languageENtimestamp1700000000000tracking_iddefaultv2.0"
    )
    assert sign(VECTOR_A, OURS, "sha256") == (
        "A2CC336A71DF171C6CA81B92AE02C5275EC4FF0CBA68311F8AC02B7949E4B6A7"
    )


def test_vector_b_link_generate_md5_signs_raw_url() -> None:
    assert OURS + string_to_sign(VECTOR_B) + OURS == (
        "test_secret_0123456789abcdefapp_key500000formatjsonmethodaliexpress.affiliate."
        "link.generatepartner_idtaobao-sdk-python-20200924promotion_link_type0sign_methodmd5"
        "source_valueshttps://www.aliexpress.com/item/1005004757833857.html?spm=a2g0o&x=1"
        "timestamp1700000000000tracking_iddefaultv2.0test_secret_0123456789abcdef"
    )
    assert sign(VECTOR_B, OURS, "md5") == "3285A9B41E2EAA03503B047D58395963"


def test_vector_b_extras_top_hmac_variants() -> None:
    # B's parameters with the sign_method field naming the variant, as a real call sends it.
    hmac_md5 = {**VECTOR_B, "sign_method": "hmac"}
    hmac_sha256 = {**VECTOR_B, "sign_method": "hmac-sha256"}
    assert sign(hmac_md5, OURS, "hmac") == "58D7A3446BE57DE3DC25B3B6C593C089"
    assert sign(hmac_sha256, OURS, "hmac-sha256") == (
        "0DCFF62CCE8E11CC8E69D7B9F5B87CD188E0DF98590E2458034BFAC2CD9FB3D1"
    )


def test_vector_c_non_ascii_keywords_both_methods() -> None:
    assert sign(VECTOR_C, OURS, "md5") == "A4177FBEC91841AF184B46A0958AB383"
    c2 = {**VECTOR_C, "sign_method": "sha256"}
    assert sign(c2, OURS, "sha256") == (
        "694F6B3BB7DEE2986B18660DEB82129337900BB9B09C2121DEAE92C9CC205226"
    )


def test_vector_d_system_api_prepends_path() -> None:
    params = {
        "app_key": "500000",
        "code": "3_500000_abcDEF123",
        "sign_method": "sha256",
        "timestamp": "1700000000000",
    }
    assert string_to_sign(params, "/auth/token/create") == (
        "/auth/token/createapp_key500000code3_500000_abcDEF123sign_methodsha256"
        "timestamp1700000000000"
    )
    assert sign(params, OURS, "sha256", "/auth/token/create") == (
        "B1F9327056E2182876E48AFCAECA15D2D72AC4B14E2777F9E1A7F46812D999AD"
    )


def test_vector_e_through_signed_params() -> None:
    sent = signed_params(
        "aliexpress.affiliate.category.get",
        {"partner_id": "taobao-sdk-python-20200924"},
        app_key="500000",
        secret=OURS,
        sign_method="md5",
        timestamp_ms=1700000000000,
    )
    assert sent == {
        "format": "json",
        "app_key": "500000",
        "sign_method": "md5",
        "v": "2.0",
        "timestamp": "1700000000000",
        "partner_id": "taobao-sdk-python-20200924",
        "method": "aliexpress.affiliate.category.get",
        "sign": "E56CEF249A1D35388F7B09F003EFD02E",
    }


def test_vector_a_through_signed_params() -> None:
    app = {
        k: VECTOR_A[k]
        for k in (
            "simplify",
            "product_ids",
            "target_currency",
            "target_language",
            "tracking_id",
            "country",
        )
    }
    sent = signed_params(
        VECTOR_A["method"],
        app,
        app_key="500000",
        secret=OURS,
        sign_method="sha256",
        timestamp_ms=1700000000000,
    )
    assert sent["sign"] == "A2CC336A71DF171C6CA81B92AE02C5275EC4FF0CBA68311F8AC02B7949E4B6A7"


def test_an_existing_sign_entry_is_never_signed() -> None:
    assert sign({**VECTOR_A, "sign": "X"}, OURS, "sha256") == sign(VECTOR_A, OURS, "sha256")


def test_signed_params_drops_empty_values_and_stringifies_ints() -> None:
    sent = signed_params(
        "m",
        {"page_no": 3, "keywords": "", "sort": None, "sign": "forged"},
        app_key="1",
        secret="s",
        sign_method="sha256",
        timestamp_ms=1,
    )
    assert sent["page_no"] == "3"
    assert "keywords" not in sent and "sort" not in sent
    assert sent["sign"] != "forged"


def test_system_parameters_cannot_be_overridden_by_the_caller() -> None:
    sent = signed_params(
        "real.method",
        {"method": "other", "app_key": "evil"},
        app_key="1",
        secret="s",
        sign_method="md5",
        timestamp_ms=1,
    )
    assert sent["method"] == "real.method" and sent["app_key"] == "1"


def test_bools_are_refused_rather_than_sent_as_True() -> None:
    with pytest.raises(TypeError):
        clean_params({"flag": True})


def test_unknown_sign_method_is_refused() -> None:
    with pytest.raises(ValueError, match="sign method"):
        signed_params("m", {}, app_key="1", secret="s", sign_method="sha1", timestamp_ms=1)
