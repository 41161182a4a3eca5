"""A scriptable fake gateway for ``httpx.MockTransport`` and canned API bodies."""

from __future__ import annotations

import random
from collections.abc import Callable
from typing import Any
from urllib.parse import parse_qsl

import httpx

from affsite.aliexpress.envelope import response_key
from affsite.aliexpress.signing import sign

APP_KEY = "500000"
SECRET = "test_secret_0123456789abcdef"

Answer = Any  # dict (JSON body), httpx.Response, an exception to raise, or a callable


def form_of(request: httpx.Request) -> dict[str, str]:
    """The decoded form fields of a POST, as the gateway sees them."""
    return dict(parse_qsl(request.content.decode("utf-8"), keep_blank_values=True))


def signature_is_valid(form: dict[str, str], secret: str = SECRET) -> bool:
    """What the real gateway checks: the sign over every other field received."""
    rest = {name: value for name, value in form.items() if name != "sign"}
    return sign(rest, secret, form["sign_method"]) == form.get("sign")


def envelope(
    method: str, result: Any, *, code: Any = 200, msg: str = "Call succeeds"
) -> dict[str, Any]:
    return {
        response_key(method): {
            "resp_result": {"resp_code": code, "resp_msg": msg, "result": result},
            "request_id": "2101e9d517000000000001234",
        }
    }


def error_body(code: str, msg: str, kind: str = "ISV") -> dict[str, Any]:
    return {
        "error_response": {
            "type": kind,
            "code": code,
            "msg": msg,
            "request_id": "2101145f17645900257712085",
        }
    }


def raw_product(product_id: int | str, **fields: Any) -> dict[str, Any]:
    """A product object shaped like the gateway's, with realistic values."""
    product: dict[str, Any] = {
        "product_id": product_id,
        "product_title": f"Product {product_id}",
        "product_detail_url": f"https://www.aliexpress.com/item/{product_id}.html",
        "product_main_image_url": f"https://ae-pic-a1.aliexpress-media.com/kf/{product_id}.jpg",
        "product_small_image_urls": {
            "string": [f"https://ae-pic-a1.aliexpress-media.com/kf/{product_id}.jpg"]
        },
        "promotion_link": f"https://s.click.aliexpress.com/e/_{product_id}",
        "sale_price": "12.34",
        "sale_price_currency": "USD",
        "original_price": "24.68",
        "original_price_currency": "USD",
        "target_sale_price": "11.40",
        "target_sale_price_currency": "EUR",
        "target_original_price": "22.80",
        "target_original_price_currency": "EUR",
        "discount": "50%",
        "commission_rate": "7.0%",
        "evaluate_rate": "94.6%",
        "lastest_volume": 1289,
        "second_level_category_name": "Earphones & Headphones",
        "shop_url": "https://www.aliexpress.com/store/912345678",
    }
    product.update(fields)
    return product


def details_result(*products: dict[str, Any]) -> dict[str, Any]:
    return {"current_record_count": len(products), "products": {"product": list(products)}}


class FakeGateway:
    """Records every request and answers from a script.

    Answers are used in order; the last one repeats. A callable answer gets
    ``(request, form)`` and returns any other kind of answer.
    """

    def __init__(self, *answers: Answer) -> None:
        self.answers = list(answers)
        self.requests: list[httpx.Request] = []

    @property
    def forms(self) -> list[dict[str, str]]:
        return [form_of(request) for request in self.requests]

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        answer = self.answers.pop(0) if len(self.answers) > 1 else self.answers[0]
        if callable(answer) and not isinstance(answer, httpx.Response):
            answer = answer(request, form_of(request))
        if isinstance(answer, BaseException):
            raise answer
        if isinstance(answer, httpx.Response):
            return answer
        return httpx.Response(200, json=answer)


def by_method(routes: dict[str, Callable[[dict[str, str]], Any]]) -> Callable[..., Any]:
    """An answer that routes on the ``method`` form field."""

    def answer(request: httpx.Request, form: dict[str, str]) -> Any:
        return routes[form["method"]](form)

    return answer


class MaxJitter(random.Random):
    """Full jitter that always picks the ceiling, so backoff steps are predictable."""

    def uniform(self, a: float, b: float) -> float:
        return b
