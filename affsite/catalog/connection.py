"""Which gateway and credentials a ``Settings`` means, the clients the catalog builds for
them, and the "Test connection" check.

With no App Key/Secret the app is in demo mode: it talks to the built-in sandbox in-process
with the sandbox's demo credentials, unless ``api_url`` points somewhere else (for example a
sandbox started with ``affsite sandbox``), in which case that URL gets the demo credentials.

The catalog never builds a client itself: a ``ClientFactory`` does, given the settings and the
``ClientHooks`` that put every attempt behind the shared limits. ``client_factory(transport)``
is the one used everywhere; tests and benchmarks hand it the sandbox's transport.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

import httpx

from affsite.aliexpress import DEFAULT_API_URL, AliExpressClient, ApiError
from affsite.clock import Clock, Sleeper, system_clock, system_sleep
from affsite.settings import Settings

if TYPE_CHECKING:
    from affsite.aliexpress.sandbox import Sandbox

# Never resolved: the in-process transport answers every request itself.
SANDBOX_API_URL = "http://sandbox.invalid/sync"


@functools.cache
def demo_sandbox() -> Sandbox:
    """The process-wide sandbox behind demo mode (built once; its catalog is deterministic)."""
    from affsite.aliexpress.sandbox import Sandbox

    return Sandbox()


def media_base_url(settings: Settings) -> str | None:
    """Where the sandbox behind demo mode serves its product images, which boxes may show
    besides AliExpress's image hosts; None outside demo mode.
    """
    if not settings.demo_mode:
        return None
    if settings.api_url == DEFAULT_API_URL:
        return demo_sandbox().media_base_url
    # A sandbox started with ``affsite sandbox`` serves them beside its /sync address.
    parts = urlsplit(settings.api_url)
    return f"{parts.scheme}://{parts.netloc}/media/"


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
    media = None
    if settings.demo_mode:
        from affsite.aliexpress import sandbox as sandbox_module

        app_key = sandbox_module.DEMO_APP_KEY
        app_secret = sandbox_module.DEMO_APP_SECRET
        tracking_id = tracking_id or sandbox_module.DEMO_TRACKING_ID
        if api_url == DEFAULT_API_URL:
            api_url = SANDBOX_API_URL
            in_process = sandbox or demo_sandbox()
            media = in_process.media_base_url
            # Demo boxes should carry the site owner's own tracking id, as live ones would.
            in_process.register_tracking_id(tracking_id)
            if transport is None:
                transport = in_process.transport()
        else:
            media = media_base_url(settings)
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
        media_base_url=media,
        transport=transport,
        max_retries=max_retries,
        clock=clock,
        sleep=sleep,
        before_attempt=before_attempt,
        after_attempt=after_attempt,
    )


@dataclass(frozen=True, kw_only=True)
class ClientHooks:
    """What a client factory must wire into the API client it builds."""

    before_attempt: Callable[[str], None]
    after_attempt: Callable[[str, ApiError | None], None]
    max_retries: int
    clock: Clock
    sleep: Sleeper


ClientFactory = Callable[[Settings, ClientHooks], AliExpressClient]


def client_factory(transport: httpx.BaseTransport | None = None) -> ClientFactory:
    """A factory of ``client_for`` clients wired to the catalog's hooks; ``transport``
    replaces the network (the sandbox in tests and benchmarks; None: the configured gateway,
    or the in-process sandbox in demo mode).
    """

    def make(settings: Settings, hooks: ClientHooks) -> AliExpressClient:
        return client_for(
            settings,
            transport=transport,
            clock=hooks.clock,
            sleep=hooks.sleep,
            before_attempt=hooks.before_attempt,
            after_attempt=hooks.after_attempt,
            max_retries=hooks.max_retries,
        )

    return make


# The production factory: the configured gateway (the in-process sandbox in demo mode).
gateway_client_factory = client_factory()


@dataclass(frozen=True, kw_only=True)
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
