"""The API tokens section of the settings page: create a token (shown once), revoke one.

Both are admin forms under /admin, so they need the admin session and a CSRF token like
every other. A new token is shown in the page that answers the form, never through a flash
message or a redirect: flash messages travel in the session cookie, which is signed but not
secret. The page is ``no-store`` like all of /admin, so no cache keeps it.
"""

from __future__ import annotations

from flask import flash, redirect, request, url_for
from werkzeug.wrappers import Response

from affsite.web.admin import bp, settings_page
from affsite.web.api_tokens import TooManyTokens, api_tokens
from affsite.web.private_db import AuthStoreError

SECTION = "#api-tokens"


@bp.post("/settings/api-tokens")
def create_api_token() -> tuple[str, int]:
    """Create a token named by the form's ``label`` and show it this once."""
    try:
        made, token = api_tokens().create(request.form.get("label", ""))
    except TooManyTokens as exc:
        flash(f"No token was created. {exc} {exc.fix}", "error")
        return settings_page(400)
    except AuthStoreError as exc:
        flash(f"No token was created: the token file cannot be written. {exc.fix}", "error")
        return settings_page(503)
    flash(
        f"API token “{made.label}” created. Copy it now: it is not shown again.",
        "success",
    )
    return settings_page(new_token=token)


@bp.post("/settings/api-tokens/revoke")
def revoke_api_token() -> Response | tuple[str, int]:
    """Revoke the token named by the form's ``token`` (its id, never the token)."""
    try:
        revoked = api_tokens().revoke(request.form.get("token", ""))
    except AuthStoreError as exc:
        flash(f"The token was not revoked: the token file cannot be written. {exc.fix}", "error")
        return settings_page(503)
    if revoked is None:
        flash("That API token does not exist (any more).", "error")
    else:
        flash(f"API token “{revoked.label}” revoked: it no longer works.", "success")
    return redirect(url_for("admin.settings") + SECTION, code=303)
