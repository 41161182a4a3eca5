"""The sandbox gateway: a WSGI app that behaves like AliExpress's ``/sync`` endpoint.

It verifies every request on its own terms (app key, signature recomputed from the raw
parameters for ``sha256`` and ``md5``, a timestamp within 7200 s of its clock, a known method)
before answering from the built-in catalog, and it can be told to misbehave (see ``faults``).

Routes: ``/sync`` (GET or POST; query and form parameters are united, as the gateway does),
``/media/<file>`` (product images), and ``/_sandbox/*`` control endpoints for tests that drive a
sandbox running in another process.
"""

from __future__ import annotations

import hashlib
import hmac
import itertools
import json
import threading
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import httpx
from werkzeug.wrappers import Request, Response

from affsite.aliexpress.sandbox import answers
from affsite.aliexpress.sandbox.answers import AnswerContext, Reply
from affsite.aliexpress.sandbox.catalog import SandboxCatalog, build_catalog
from affsite.aliexpress.sandbox.faults import FaultBoard, Outcome, ban_message, make_fault
from affsite.aliexpress.sandbox.media import SVG_HEADERS, render_media
from affsite.aliexpress.sandbox.params import GatewayError
from affsite.clock import Clock, Sleeper, system_clock

if TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse, WSGIEnvironment

DEMO_APP_KEY = "100001"
DEMO_APP_SECRET = "affsite-sandbox-secret-0001"  # noqa: S105 - public demo credential
DEMO_TRACKING_ID = "affsite_demo"

TIMESTAMP_WINDOW_SECONDS = 7200
SIGN_METHODS = ("sha256", "md5")
JSON_TYPE = "application/json;charset=UTF-8"

_catalog_lock = threading.Lock()
_shared_catalog: SandboxCatalog | None = None


def default_catalog() -> SandboxCatalog:
    """The built-in catalog, built once per process (it is immutable)."""
    global _shared_catalog
    with _catalog_lock:
        if _shared_catalog is None:
            _shared_catalog = build_catalog()
        return _shared_catalog


@dataclass
class SandboxCall:
    """One request that reached ``/sync``: its API method, every parameter, and when."""

    method: str | None
    params: dict[str, str]
    at: float
    http_method: str = "POST"
    outcome: str = ""  # "ok", a gateway error code, "resp_code <n>", or "fault:<kind>"


class _SimulatedTimeout(Exception):
    """Raised inside the app to make the in-process transport time out."""


_in_process = threading.local()


class SandboxTransport(httpx.BaseTransport):
    """An httpx transport that hands requests straight to a sandbox, in this thread."""

    def __init__(self, sandbox: Sandbox) -> None:
        self._wsgi = httpx.WSGITransport(app=sandbox)

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        _in_process.active = True
        try:
            return self._wsgi.handle_request(request)
        except _SimulatedTimeout:
            raise httpx.ReadTimeout("sandbox: simulated read timeout", request=request) from None
        finally:
            _in_process.active = False

    def close(self) -> None:
        self._wsgi.close()


def expected_signature(params: dict[str, str], secret: str, sign_method: str) -> str:
    """The signature the gateway expects: sorted ``name+value`` pairs of every param but sign."""
    text = "".join(f"{name}{params[name]}" for name in sorted(params) if name != "sign")
    if sign_method == "sha256":
        digest = hmac.new(secret.encode(), text.encode(), hashlib.sha256).hexdigest()
    else:
        digest = hashlib.md5((secret + text + secret).encode(), usedforsecurity=False).hexdigest()
    return digest.upper()


def _parse_timestamp(raw: str) -> float | None:
    """Epoch milliseconds, or ISO ``2017-11-11T12:00:00Z``; None when neither."""
    if raw.isdigit():
        return int(raw) / 1000
    try:
        parsed = datetime.strptime(raw, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)
    except ValueError:
        return None
    return parsed.timestamp()


_ERROR_PAGE = (
    "<html><head><title>{status}</title></head><body><center><h1>{status}</h1></center>"
    "<hr><center>Tengine</center></body></html>"
)


class Sandbox:
    """An offline stand-in for the AliExpress affiliate gateway (see the module docstring)."""

    def __init__(
        self,
        *,
        app_key: str = DEMO_APP_KEY,
        app_secret: str = DEMO_APP_SECRET,
        clock: Clock = system_clock,
        media_base_url: str = "/sandbox-media/",
        sleep: Sleeper | None = None,
        tracking_ids: Iterable[str] = (DEMO_TRACKING_ID, "default"),
        catalog: SandboxCatalog | None = None,
    ) -> None:
        self.app_key = app_key
        self._app_secret = app_secret
        self._clock = clock
        self._sleep_override = sleep
        self.media_base_url = media_base_url
        self.tracking_ids = frozenset(tracking_ids)
        self.catalog = catalog or default_catalog()
        self.calls: list[SandboxCall] = []
        self._lock = threading.Lock()
        self._faults = FaultBoard()
        self._wake = threading.Event()
        self._request_numbers = itertools.count(1)
        self._answering = 0  # /sync calls received and not answered yet (slow ones waiting)

    def register_tracking_id(self, tracking_id: str) -> None:
        """Accept ``tracking_id`` as a registered affiliate tracking id from now on."""
        with self._lock:
            self.tracking_ids = self.tracking_ids | {tracking_id}

    def __repr__(self) -> str:
        return f"Sandbox(app_key={self.app_key!r}, calls={len(self.calls)})"

    # --- public control -----------------------------------------------------------------------

    def transport(self) -> httpx.BaseTransport:
        """An in-process httpx transport; requests never leave this process."""
        return SandboxTransport(self)

    def media(self, filename: str) -> tuple[bytes, str] | None:
        """Image bytes and content type for a file named in an answer, or None."""
        return render_media(self.catalog, filename)

    def calls_snapshot(self) -> list[SandboxCall]:
        """A copy of ``calls``, safe to iterate while server threads keep appending."""
        with self._lock:
            return list(self.calls)

    def call_count(self, method: str | None = None) -> int:
        """``/sync`` requests received, all or only those naming API ``method``."""
        with self._lock:
            return sum(1 for c in self.calls if method is None or c.method == method)

    def inject(self, kind: str, *, times: int | None = None, **options: Any) -> None:
        """Make the next calls misbehave; kinds and options are listed in ``faults``."""
        self._faults.add(make_fault(kind, times, options, self._clock()))

    def clear_faults(self) -> None:
        self._faults.clear()
        self._interrupt_waits()

    def reset(self) -> None:
        """Forget every call and fault."""
        self.clear_faults()
        with self._lock:
            self.calls.clear()

    def answering(self) -> int:
        """``/sync`` calls received and not answered yet (e.g. waiting on a ``slow`` fault)."""
        with self._lock:
            return self._answering

    def stats(self) -> dict[str, Any]:
        with self._lock:
            by_method = Counter(c.method or "" for c in self.calls)
            total = len(self.calls)
        return {"calls": total, "by_method": dict(by_method), "faults": self._faults.describe()}

    # --- WSGI ---------------------------------------------------------------------------------

    def __call__(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        request = Request(environ)
        try:
            response = self._route(request)
        finally:
            request.close()  # uploaded file parts are spooled to temporary files
        return response(environ, start_response)

    def _route(self, request: Request) -> Response:
        path = request.path
        if path == "/sync":
            if request.method not in ("GET", "POST"):
                return Response("method not allowed", 405, {"Allow": "GET, POST"})
            return self._sync(request)
        if path.startswith("/media/") and request.method in ("GET", "HEAD"):
            found = self.media(path.removeprefix("/media/"))
            if found is None:
                return Response("not found", 404, mimetype="text/plain")
            body, content_type = found
            return Response(body, 200, dict(SVG_HEADERS), content_type=content_type)
        if path.startswith("/_sandbox/"):
            return self._control(request, path.removeprefix("/_sandbox/"))
        return Response("not found", 404, mimetype="text/plain")

    def _control(self, request: Request, action: str) -> Response:
        if action == "stats" and request.method == "GET":
            return _json_response(self.stats())
        if action == "catalog" and request.method == "GET":
            c = self.catalog
            return _json_response(
                {
                    "promotable": c.promotable_ids(),
                    "not_promotable": c.not_promotable_ids(),
                    "hostile": c.hostile_ids(),
                    "non_latin": c.non_latin_ids(),
                    "rtl": c.rtl_ids(),
                    "missing_fields": c.missing_field_ids(),
                }
            )
        if action == "faults" and request.method == "POST":
            spec = request.get_json(silent=True)
            if not isinstance(spec, dict) or not isinstance(spec.get("kind"), str):
                return _json_response({"error": 'expected a JSON object with "kind"'}, 400)
            options = {k: v for k, v in spec.items() if k not in ("kind", "times")}
            try:
                self.inject(spec["kind"], times=spec.get("times"), **options)
            except ValueError as exc:
                return _json_response({"error": str(exc)}, 400)
            return _json_response({"faults": self._faults.describe()})
        if action == "faults" and request.method == "DELETE":
            self.clear_faults()
            return _json_response({"faults": []})
        if action == "reset" and request.method == "POST":
            self.reset()
            return _json_response(self.stats())
        return _json_response({"error": "unknown control endpoint"}, 404)

    # --- /sync ----------------------------------------------------------------------------------

    def _sync(self, request: Request) -> Response:
        params = dict(request.args.items())
        params.update(request.form.items())
        call = SandboxCall(params.get("method"), params, self._clock(), request.method)
        with self._lock:
            self.calls.append(call)
            self._answering += 1
        try:
            return self._answer(call, params)
        finally:
            with self._lock:
                self._answering -= 1

    def _answer(self, call: SandboxCall, params: dict[str, str]) -> Response:
        outcome = self._faults.decide(self._clock())
        for seconds in outcome.sleeps:
            self._sleep(seconds)
        if outcome.kind is not None and outcome.kind not in ("malformed", "not_registered"):
            call.outcome = f"fault:{outcome.kind}"
            return self._fault_response(outcome)
        request_id = self._request_id()
        try:
            method = self._authenticate(params)
            reply = answers.NOT_REGISTERED if outcome.kind == "not_registered" else None
            reply = reply or answers.HANDLERS[method](self._context(), params)
        except GatewayError as error:
            call.outcome = error.code
            body: dict[str, Any] = _error_body(error, request_id)
        else:
            call.outcome = "ok" if reply.resp_code == 200 else f"resp_code {reply.resp_code}"
            body = _envelope(method, reply, request_id)
        text = json.dumps(body, ensure_ascii=False, separators=(",", ":"))
        if outcome.kind == "malformed":
            call.outcome = "fault:malformed"
            text = text[: len(text) // 2]
        return Response(text, 200, content_type=JSON_TYPE)

    def _authenticate(self, params: dict[str, str]) -> str:
        """Check credentials, signature, timestamp and method as the gateway does; the method."""
        if not hmac.compare_digest(params.get("app_key", "").encode(), self.app_key.encode()):
            raise GatewayError("InvalidAppKey", "The specified App Key is invalid")
        sign_method = params.get("sign_method", "")
        sign = params.get("sign", "")
        if sign_method not in SIGN_METHODS or not hmac.compare_digest(
            sign.encode(), expected_signature(params, self._app_secret, sign_method).encode()
        ):
            raise GatewayError(
                "IncompleteSignature",
                "The request signature does not conform to platform standards",
            )
        sent_at = _parse_timestamp(params.get("timestamp", ""))
        if sent_at is None or abs(self._clock() - sent_at) > TIMESTAMP_WINDOW_SECONDS:
            raise GatewayError(
                "InvalidTimestamp",
                "The request timestamp is missing, malformed or more than "
                f"{TIMESTAMP_WINDOW_SECONDS} seconds away from the server time",
            )
        method = params.get("method", "")
        if method not in answers.HANDLERS:
            raise GatewayError("InvalidApiPath", "The specified API path is invalid")
        return method

    def _context(self) -> AnswerContext:
        return AnswerContext(self.catalog, self.media_base_url, self.tracking_ids)

    def _fault_response(self, outcome: Outcome) -> Response:
        if outcome.kind == "rate_limit":
            error = GatewayError("ApiCallLimit", ban_message(outcome.options["ban_seconds"]))
            body = json.dumps(_error_body(error, self._request_id()), separators=(",", ":"))
            return Response(body, 200, content_type=JSON_TYPE)
        if outcome.kind == "timeout":
            if getattr(_in_process, "active", False):
                raise _SimulatedTimeout
            self._sleep(outcome.options["seconds"])
            status = 504
        else:
            status = int(outcome.options["status"])
        return Response(
            _ERROR_PAGE.format(status=status), status, content_type="text/html;charset=UTF-8"
        )

    def _sleep(self, seconds: float) -> None:
        if self._sleep_override is not None:
            self._sleep_override(seconds)
        else:
            self._wake.wait(seconds)

    def _interrupt_waits(self) -> None:
        """Wake any request sleeping on a cleared ``slow``/``timeout`` fault."""
        previous, self._wake = self._wake, threading.Event()
        previous.set()

    def _request_id(self) -> str:
        number = next(self._request_numbers)
        return "21" + hashlib.sha256(f"{id(self)}:{number}".encode()).hexdigest()[:23]


def _envelope(method: str, reply: Reply, request_id: str) -> dict[str, Any]:
    resp_result: dict[str, Any] = {"resp_code": reply.resp_code, "resp_msg": reply.resp_msg}
    if reply.result is not None:
        resp_result["result"] = reply.result
    return {
        method.replace(".", "_") + "_response": {
            "resp_result": resp_result,
            "request_id": request_id,
        }
    }


def _error_body(error: GatewayError, request_id: str) -> dict[str, Any]:
    trace = hashlib.sha256(request_id.encode()).hexdigest()[:30]
    return {
        "error_response": {
            "type": error.type,
            "code": error.code,
            "msg": error.msg,
            "request_id": request_id,
            "_trace_id_": trace,
        }
    }


def _json_response(data: Any, status: int = 200) -> Response:
    return Response(json.dumps(data, ensure_ascii=False), status, content_type=JSON_TYPE)


__all__ = [
    "DEMO_APP_KEY",
    "DEMO_APP_SECRET",
    "DEMO_TRACKING_ID",
    "Sandbox",
    "SandboxCall",
    "SandboxTransport",
    "default_catalog",
    "expected_signature",
]
