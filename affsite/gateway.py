"""Which gateway and credentials a ``Settings`` means, and the "Test connection" check.

With no App Key/Secret the app is in demo mode: it talks to the built-in sandbox in-process
with the sandbox's demo credentials, unless ``api_url`` points somewhere else (for example a
sandbox started with ``affsite sandbox``), in which case that URL gets the demo credentials.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

import httpx

from affsite.aliexpress.client import AliExpressClient
from affsite.aliexpress.errors import ApiError
from affsite.clock import Clock, Sleeper, system_clock, system_sleep
from affsite.settings import DEFAULT_API_URL, Settings

if TYPE_CHECKING:
    from affsite.aliexpress.sandbox import Sandbox

# Never resolved: the in-process transport answers every request itself.
SANDBOX_API_URL = "http://sandbox.invalid/sync"

_demo_lock = threading.Lock()
_demo: Sandbox | None = None


def demo_sandbox() -> Sandbox:
    """The process-wide sandbox behind demo mode (built once; its catalog is deterministic)."""
    global _demo
    with _demo_lock:
        if _demo is None:
            from affsite.aliexpress.sandbox import Sandbox

            _demo = Sandbox()
        return _demo


def client_for(
    settings: Settings,
    *,
    transport: httpx.BaseTransport | None = None,
    clock: Clock = system_clock,
    sleep: Sleeper = system_sleep,
    before_attempt: Callable[[str], None] | None = None,
    after_attempt: Callable[[str, ApiError | None], None] | None = None,
    max_retries: int = 2,
    sandbox: Sandbox | None = None,
) -> AliExpressClient:
    """A client for the gateway and credentials ``settings`` describe (close it when done).

    ``transport`` replaces the network (tests). ``sandbox`` picks the sandbox demo mode uses
    in-process (default: ``demo_sandbox()``).

    :raise SettingsError: settings the client cannot work with (e.g. an unknown sign method).
    """
    app_key, app_secret = settings.app_key, settings.app_secret
    tracking_id = settings.tracking_id
    api_url = settings.api_url
    if settings.demo_mode:
        from affsite.aliexpress import sandbox as sandbox_module

        app_key = sandbox_module.DEMO_APP_KEY
        app_secret = sandbox_module.DEMO_APP_SECRET
        tracking_id = tracking_id or sandbox_module.DEMO_TRACKING_ID
        if api_url == DEFAULT_API_URL:
            api_url = SANDBOX_API_URL
            in_process = sandbox or demo_sandbox()
            # Demo boxes should carry the site owner's own tracking id, as live ones would.
            in_process.register_tracking_id(tracking_id)
            if transport is None:
                transport = in_process.transport()
    return AliExpressClient(
        app_key=app_key,
        app_secret=app_secret,
        api_url=api_url,
        sign_method=settings.sign_method,
        tracking_id=tracking_id or None,
        country=settings.country,
        currency=settings.currency,
        language=settings.language,
        batch_size=settings.batch_size,
        transport=transport,
        max_retries=max_retries,
        clock=clock,
        sleep=sleep,
        before_attempt=before_attempt,
        after_attempt=after_attempt,
    )


@dataclass(frozen=True)
class CheckResult:
    """Outcome of a connection check: ``message`` is "OK" or the problem; ``fix`` what to do."""

    ok: bool
    message: str
    fix: str | None = None


def check_connection(client: AliExpressClient) -> CheckResult:
    """Make one cheap real call (``category.get``) and say whether the settings work.

    The message names the problem in plain words; it never contains the App Secret, the
    signature or the gateway's raw answer.
    """
    try:
        client.categories()
    except ApiError as error:
        return CheckResult(ok=False, message=error.message, fix=error.fix)
    return CheckResult(ok=True, message="OK")
