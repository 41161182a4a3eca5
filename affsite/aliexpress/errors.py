"""What can go wrong talking to the AliExpress gateway, as one small tree.

    AffsiteError                      (affsite.errors)
    └── ApiError                      anything the gateway did or did not do; .retryable, .code
        ├── CredentialsError          the settings are wrong; never retried
        │   ├── InvalidAppKey         the App Key is unknown            (code InvalidAppKey)
        │   ├── IncompleteSignature   wrong App Secret or sign method   (code IncompleteSignature)
        │   └── PublisherNotRegistered  app not approved as affiliate   (resp_code 401)
        ├── ApiCallLimit              rate limited; .ban_seconds        (code ApiCallLimit)
        ├── GatewayUnavailable        5xx, timeouts, connection errors, a body that is not the
        │                             expected JSON; retried
        └── ApiResponseError          any other error code or resp_code; never retried

"Not found / not promotable" is not an error: such products are simply absent from the
answer. Every class carries ``fix``, one plain-language sentence for the settings page.
Messages never contain the App Secret, the signature or a raw upstream body.
"""

from __future__ import annotations

from affsite.errors import AffsiteError


class ApiError(AffsiteError):
    """Base of every gateway failure. ``retryable`` says whether trying again can help."""

    retryable: bool = False
    fix = (
        "AliExpress refused the request: check the settings and try again; "
        "if it keeps failing, see the server log."
    )

    def __init__(
        self,
        message: str,
        *,
        fix: str | None = None,
        code: str | None = None,
        request_id: str | None = None,
        retryable: bool | None = None,
    ) -> None:
        super().__init__(message, fix=fix)
        self.code = code
        self.request_id = request_id
        if retryable is not None:
            self.retryable = retryable


class CredentialsError(ApiError):
    """The App Key, App Secret or account is rejected; only a settings change can help."""

    fix = "AliExpress rejected the credentials: re-enter the App Key and App Secret."


class InvalidAppKey(CredentialsError):
    fix = (
        "AliExpress does not know this App Key: copy the App Key again from the app page of the "
        "AliExpress Open Platform console and save the settings."
    )


class IncompleteSignature(CredentialsError):
    fix = (
        "The App Secret or the sign method does not match this App Key: re-enter the App Secret "
        "exactly as shown in the AliExpress console, and try sign method sha256."
    )


class PublisherNotRegistered(CredentialsError):
    fix = (
        "This App Key is not approved for the Affiliate API: in the AliExpress Open Platform "
        "console use an Affiliate API app linked to an approved affiliate (publisher) account."
    )


class ApiCallLimit(ApiError):
    """AliExpress banned calls for ``ban_seconds`` (parsed from its message, at least 1 s)."""

    retryable = True
    fix = (
        "AliExpress is limiting requests for a moment: pages keep showing saved products; "
        "if this happens often, lower the requests-per-second setting."
    )

    def __init__(
        self,
        ban_seconds: float = 1.0,
        message: str | None = None,
        *,
        fix: str | None = None,
        code: str | None = "ApiCallLimit",
        request_id: str | None = None,
    ) -> None:
        self.ban_seconds = max(0.0, float(ban_seconds))
        super().__init__(
            message or f"AliExpress rate limit: calls are banned for {self.ban_seconds:g} s",
            fix=fix,
            code=code,
            request_id=request_id,
        )


class GatewayUnavailable(ApiError):
    """No usable answer: HTTP error, timeout, connection failure or an unexpected body."""

    retryable = True
    fix = (
        "AliExpress could not be reached or gave no usable answer: pages keep showing saved "
        "products; try again in a few minutes, and check the API URL setting if it persists."
    )


class ApiResponseError(ApiError):
    """An error code or ``resp_code`` with no more specific class."""

    fix = (
        "AliExpress refused the request: check the Tracking ID, country, currency and language "
        "settings, then try again."
    )
