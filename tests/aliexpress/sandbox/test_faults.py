"""Injected faults make the sandbox misbehave exactly as asked, for exactly as long as asked."""

from __future__ import annotations

import json

import httpx
import pytest

from affsite.aliexpress.sandbox import Sandbox
from affsite.clock import FakeClock

from .conftest import Call
from .helpers import error_of, result_of, signed

CATEGORIES = "aliexpress.affiliate.category.get"


def ok(response: httpx.Response) -> bool:
    return response.status_code == 200 and "error_response" not in response.json()


def test_rate_limit_ban_lasts_its_seconds_on_the_sandbox_clock(
    sandbox: Sandbox, call: Call, clock: FakeClock
) -> None:
    sandbox.inject("rate_limit", ban_seconds=3)
    first = error_of(call(CATEGORIES))
    assert first["code"] == "ApiCallLimit"
    assert first["msg"] == ("Api access frequency exceeds the limit. this ban will last 3 seconds")
    clock.advance(1.5)
    assert error_of(call(CATEGORIES))["msg"].endswith("this ban will last 2 seconds")
    clock.advance(1.5)
    assert ok(call(CATEGORIES))
    assert sandbox.stats()["faults"] == []


def test_counted_rate_limit_refuses_exactly_times_calls(sandbox: Sandbox, call: Call) -> None:
    sandbox.inject("rate_limit", times=2, ban_seconds=1)
    assert error_of(call(CATEGORIES))["msg"].endswith("this ban will last 1 seconds")
    assert error_of(call(CATEGORIES))["code"] == "ApiCallLimit"
    assert ok(call(CATEGORIES))


def test_per_second_limit_bans_for_a_second(sandbox: Sandbox, call: Call, clock: FakeClock) -> None:
    sandbox.inject("rate_limit", per_second=2, ban_seconds=1)
    assert ok(call(CATEGORIES)) and ok(call(CATEGORIES))
    assert error_of(call(CATEGORIES))["code"] == "ApiCallLimit"
    clock.advance(0.5)
    assert error_of(call(CATEGORIES))["code"] == "ApiCallLimit"  # still banned
    clock.advance(1)
    assert ok(call(CATEGORIES))  # a new second, ban over


@pytest.mark.parametrize("status", [500, 502, 503])
def test_server_error_returns_html_with_status(sandbox: Sandbox, call: Call, status: int) -> None:
    sandbox.inject("server_error", status=status, times=1)
    response = call(CATEGORIES)
    assert response.status_code == status
    assert response.headers["content-type"].startswith("text/html")
    assert str(status) in response.text
    assert ok(call(CATEGORIES))


def test_faults_without_times_stay_until_cleared(sandbox: Sandbox, call: Call) -> None:
    sandbox.inject("server_error")
    assert [call(CATEGORIES).status_code for _ in range(3)] == [502, 502, 502]
    sandbox.clear_faults()
    assert ok(call(CATEGORIES))


def test_slow_waits_on_the_injected_sleeper_then_answers(
    sandbox: Sandbox, call: Call, clock: FakeClock
) -> None:
    sandbox.inject("slow", seconds=4, times=1)
    before = clock()
    assert ok(call(CATEGORIES))
    assert clock() - before == 4
    assert ok(call(CATEGORIES)) and clock() - before == 4


def test_a_call_waiting_on_a_slow_fault_is_counted_as_being_answered(clock: FakeClock) -> None:
    seen: list[int] = []
    sandbox = Sandbox(clock=clock, sleep=lambda _seconds: seen.append(sandbox.answering()))
    sandbox.inject("slow", seconds=4, times=1)
    form = signed(CATEGORIES, timestamp_ms=int(clock() * 1000))
    with httpx.Client(transport=sandbox.transport(), base_url="https://sandbox.test") as http:
        assert http.post("/sync", data=form).status_code == 200
    assert seen == [1]
    assert sandbox.answering() == 0


def test_malformed_body_is_truncated_json(sandbox: Sandbox, call: Call) -> None:
    sandbox.inject("malformed", times=1)
    response = call(CATEGORIES)
    assert response.status_code == 200
    assert response.text.startswith('{"aliexpress_affiliate_category_get_response"')
    with pytest.raises(json.JSONDecodeError):
        json.loads(response.text)
    assert ok(call(CATEGORIES))


def test_timeout_raises_read_timeout_in_process(sandbox: Sandbox, call: Call) -> None:
    sandbox.inject("timeout", times=1)
    with pytest.raises(httpx.ReadTimeout):
        call(CATEGORIES)
    assert ok(call(CATEGORIES))
    assert [c.outcome for c in sandbox.calls] == ["fault:timeout", "ok"]


def test_not_registered_publisher_is_resp_code_401(sandbox: Sandbox, call: Call) -> None:
    sandbox.inject("not_registered", times=1)
    resp = result_of(call(CATEGORIES).json(), CATEGORIES)
    assert resp == {"resp_code": 401, "resp_msg": "This publisher is not registered"}


def test_faults_apply_in_order_and_reset_clears_everything(sandbox: Sandbox, call: Call) -> None:
    sandbox.inject("slow", seconds=1, times=1)
    sandbox.inject("server_error", status=503, times=1)
    assert call(CATEGORIES).status_code == 503
    sandbox.inject("rate_limit", ban_seconds=60)
    sandbox.reset()
    assert ok(call(CATEGORIES))
    assert sandbox.call_count() == 1


@pytest.mark.parametrize(
    ("kind", "times", "options"),
    [
        ("meteor", None, {}),
        ("slow", 0, {}),
        ("slow", None, {"seconds": -1}),
        ("server_error", None, {"status": 200}),
        ("rate_limit", None, {"colour": 1}),
    ],
)
def test_invalid_injections_are_refused(
    sandbox: Sandbox, kind: str, times: int | None, options: dict[str, float]
) -> None:
    with pytest.raises(ValueError):
        sandbox.inject(kind, times=times, **options)
