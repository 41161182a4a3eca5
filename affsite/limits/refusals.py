"""The errors raised when a shared limit refuses a gateway call before it is made.

Every refusal is a ``CallRefused`` carrying one reason word that pages can show as a fallback,
and a ``fix`` a site owner can act on.
"""

from __future__ import annotations

from affsite.aliexpress.errors import ApiError


class CallRefused(ApiError):
    """A gateway call was not made because a shared limit said no. ``reason`` is one word.

    It is an ``ApiError`` so that whoever reports gateway failures (the "Test connection"
    check, the CLI) reports these too, with their ``fix``; it is raised by the client's
    ``before_attempt`` hook, before any HTTP traffic.
    """

    reason = "unavailable"

    def __init__(self, message: str, *, fix: str | None = None, until: float | None = None):
        super().__init__(message, fix=fix)
        self.until = until


class QuotaExhausted(CallRefused):
    reason = "quota_exhausted"
    fix = (
        "Today's request quota is spent: pages show saved products until it resets at "
        "00:00 Beijing time (16:00 UTC). Raise the daily quota only if AliExpress raised yours."
    )


class Banned(CallRefused):
    reason = "banned"
    fix = "AliExpress asked us to pause: calls resume by themselves when the ban ends."


class GatewayDown(CallRefused):
    reason = "gateway_down"
    fix = (
        "AliExpress failed several times in a row: calls are paused for a while and pages "
        "show saved products. One test call is made when the pause ends."
    )


class CredentialsRefused(CallRefused):
    reason = "credentials_rejected"
    fix = (
        "AliExpress rejected the App Key, App Secret or Tracking ID: correct them on the "
        "settings page. Calls stay paused until the settings change."
    )


class RateLimited(CallRefused):
    reason = "rate_limited"
    fix = "More pages asked for new products than the speed limiter allows; they load shortly."


class LimitsUnavailable(CallRefused):
    """The shared limits cannot be kept (the control store is not on a working disk, or Redis
    cannot be reached), so no call may be made: each worker counting on its own would multiply
    the daily quota.
    """

    reason = "limits_unavailable"
    fix = (
        "The quota and the other limits shared by every worker are kept in the cache folder "
        "(or in Redis, with AFFSITE_REDIS_URL), which cannot be used: free disk space or fix "
        "its permissions (or start Redis). Calls resume by themselves once it works again; "
        "meanwhile pages show saved products."
    )
