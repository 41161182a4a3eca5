"""The admin area: login, logout, dashboard, settings (and revealing the App Secret); the
API tokens on the settings page (``admin_tokens``) and the shortcode preview (``preview``)
add their routes to this blueprint.

Every view except the login page requires the admin session; everything under /admin gets
the no-store / no-framing headers from ``affsite.web.security``.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence

from flask import (
    Blueprint,
    Flask,
    abort,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from werkzeug.wrappers import Response

from affsite.catalog import get_catalog
from affsite.errors import SettingsError
from affsite.moments import duration, moment
from affsite.product_ids import Resolution, extract_all
from affsite.settings import (
    FIELDS,
    MAX_FEATURED_PRODUCTS,
    SettingsStorageError,
    settings_store,
)
from affsite.web import settings_form
from affsite.web.api_tokens import token_listing
from affsite.web.auth import (
    admin_password,
    check_password,
    client_address,
    is_admin,
    log_in,
    log_out,
)
from affsite.web.login_throttle import Outcome, Verdict
from affsite.web.private_db import AuthStoreError
from affsite.web.security import safe_next

log = logging.getLogger(__name__)

bp = Blueprint("admin", __name__, url_prefix="/admin")

_PUBLIC_ENDPOINTS = frozenset({"admin.login"})

DASHBOARD_DAYS = 7  # clicks per product and day on the dashboard: the last week (UTC days)
DASHBOARD_TOP_PRODUCTS = 10


def init_app(app: Flask) -> None:
    # Modules that add their routes to ``bp`` (imported here: they import ``bp`` from here).
    from affsite.web import admin_tokens, preview  # noqa: F401  (API tokens, /admin/preview)

    app.register_blueprint(bp)


@bp.before_request
def _require_admin() -> Response | None:
    if request.endpoint in _PUBLIC_ENDPOINTS or is_admin():
        return None
    target = request.full_path.rstrip("?") if request.method == "GET" else None
    return redirect(url_for("admin.login", next=target), code=303)


# --- login ------------------------------------------------------------------------------


def _not_checked(outcome: Outcome) -> str:
    """Why a password was not checked (``outcome`` is THROTTLED or BUSY)."""
    if outcome.verdict is Verdict.BUSY:
        return "The server is busy checking another password. Try again in a moment."
    minutes = max(1, round(outcome.retry_after / 60))
    return f"Too many failed sign-in attempts. Try again in {minutes} minute(s)."


_STORE_DOWN = (
    "Passwords cannot be checked right now: the server cannot keep its sign-in records. "
    "The server log says why."
)


@bp.route("/login", methods=["GET", "POST"])
def login() -> Response | tuple[str, int] | str:
    """Sign in with the admin password. Attempts are throttled per visitor (see
    ``affsite.web.login_throttle``); ``next`` only ever leads to a path on this site.
    """
    next_url = safe_next(request.values.get("next"), url_for("admin.dashboard"))
    if not admin_password().is_set():
        return render_template("admin/login.html", next_url=next_url, no_password=True)
    if request.method != "POST":
        if is_admin():
            return redirect(next_url)
        return render_template("admin/login.html", next_url=next_url)

    client = client_address()
    try:
        outcome = check_password(request.form.get("password", ""))
        if outcome.verdict is Verdict.ACCEPTED:
            log_in()
    except AuthStoreError as exc:
        log.error("admin login impossible (client %s): %s", client, exc)
        flash(_STORE_DOWN, "error")
        return render_template("admin/login.html", next_url=next_url), 503
    if outcome.verdict in (Verdict.THROTTLED, Verdict.BUSY):
        log.warning("admin login not checked: %s (client %s)", outcome.verdict, client)
        flash(_not_checked(outcome), "error")
        page = render_template("admin/login.html", next_url=next_url)
        return Response(page, 429, {"Retry-After": str(outcome.retry_after)})
    if outcome.verdict is Verdict.WRONG:
        log.warning("admin login failed (client %s)", client)
        flash("Wrong password.", "error")
        return render_template("admin/login.html", next_url=next_url), 401
    log.info("admin signed in (client %s)", client)
    return redirect(next_url, code=303)


@bp.post("/logout")
def logout() -> Response:
    try:
        log_out()
    except AuthStoreError as exc:
        log.error("admin sign-out not recorded on the server: %s", exc)
        flash(
            "You are signed out in this browser, but the server could not record it: a copy "
            "of this browser's cookie stays valid until the password is changed "
            "(affsite admin set-password). The server log says why.",
            "error",
        )
        return redirect(url_for("admin.login"), code=303)
    flash("You are signed out.", "info")
    return redirect(url_for("admin.login"), code=303)


# --- dashboard --------------------------------------------------------------------------


@bp.get("/")
def dashboard() -> str:
    """The admin's start page: why gateway calls are stopped, if they are; the settings at
    a glance; then today's quota, the cache and the gateway's recent trouble as the catalog
    reports them; then clicks on boxes per product and day, and click-through per view.
    """
    catalog = get_catalog()
    # Checked first (it retries the disk when due) so that the page and the statistics agree.
    limits_problem = catalog.stores.check_limits()
    return render_template(
        "admin/dashboard.html",
        state=settings_store().state(),
        stats=catalog.stats(),
        clicks=catalog.clicks.report(days=DASHBOARD_DAYS, top=DASHBOARD_TOP_PRODUCTS),
        limits_problem=limits_problem,
        store=catalog.stores.health,  # where the shared state is kept: disk or Redis
        moment=moment,
        duration=duration,
        field_labels={name: field.label for name, field in FIELDS.items()},
    )


# --- settings ---------------------------------------------------------------------------


def settings_page(
    status: int = 200,
    *,
    submitted: dict[str, str] | None = None,
    errors: dict[str, str] | None = None,
    revealed: str | None = None,
    products_text: str = "",
    products_failures: Sequence[Resolution] = (),
    new_token: str | None = None,
) -> tuple[str, int]:
    """The settings page; ``new_token`` is an API token just created, shown this once."""
    state = settings_store().state()
    groups = settings_form.build(state, submitted, errors)
    page = render_template(
        "admin/settings.html",
        state=state,
        groups=groups,
        revealed=revealed,
        clear_secret_name=settings_form.CLEAR_SECRET,
        products_text=products_text,
        products_failures=products_failures,
        max_featured=MAX_FEATURED_PRODUCTS,
        api_tokens=token_listing(),
        new_token=new_token,
    )
    return page, status


@bp.get("/settings")
def settings() -> tuple[str, int]:
    return settings_page()


@bp.post("/settings")
def save_settings() -> Response | tuple[str, int]:
    """Save the whole form, or nothing: on errors the page comes back with the values
    typed and a message next to each wrong field.
    """
    store = settings_store()
    form = request.form.to_dict()
    changes = settings_form.changes_from_form(form, store.state())
    try:
        store.save(changes)
    except SettingsError as exc:
        errors = dict(exc.errors)
        if "app_secret" in changes and changes["app_secret"] and "app_secret" not in errors:
            errors["app_secret"] = (
                f"{FIELDS['app_secret'].label}: not saved because of the other errors; "
                "type it again."
            )
        flash("Nothing was saved. Correct the fields marked below and save again.", "error")
        return settings_page(400, submitted=form, errors=errors)
    except SettingsStorageError as exc:
        flash(f"Nothing was saved. {exc} {exc.fix}", "error")
        return settings_page(500, submitted=form)
    flash("Settings saved. They are in force for every page from now on.", "success")
    return redirect(url_for("admin.settings"), code=303)


@bp.post("/settings/reveal")
def reveal_secret() -> tuple[str, int]:
    """Show the stored App Secret once, after the admin password is typed again."""
    state = settings_store().state()
    if "app_secret" in state.env_fields or not state.settings.app_secret:
        abort(404)
    client = client_address()
    try:
        outcome = check_password(request.form.get("password", ""))
    except AuthStoreError as exc:
        log.error("app_secret reveal impossible (client %s): %s", client, exc)
        flash(_STORE_DOWN, "error")
        return settings_page(503)
    if outcome.verdict in (Verdict.THROTTLED, Verdict.BUSY):
        flash(_not_checked(outcome), "error")
        return settings_page(429)
    if outcome.verdict is Verdict.WRONG:
        log.warning("app_secret reveal refused: wrong password (client %s)", client)
        flash("Wrong password; the App Secret stays hidden.", "error")
        return settings_page(401)
    log.info("app_secret revealed to the admin (client %s)", client)
    return settings_page(revealed=state.settings.app_secret)


@bp.post("/settings/test-connection")
def test_connection() -> Response:
    """One call to the gateway with the saved settings; the answer comes back as a notice.

    The notice carries only affsite's own plain-language message and fix: never the App
    Secret, the signature or the gateway's raw answer.
    """
    result = get_catalog().check_connection()
    if result.ok:
        where = (
            "the built-in demo sandbox (no credentials are set)"
            if settings_store().state().settings.demo_mode
            else "AliExpress"
        )
        flash(f"Connection OK: {where} accepted the request.", "success")
    else:
        flash(f"Connection failed: {result.message} {result.fix or ''}".strip(), "error")
    return redirect(url_for("admin.settings") + "#connection", code=303)


@bp.post("/settings/products")
def add_products() -> Response | tuple[str, int]:
    """Add the products found in pasted text (addresses, share links, short links, ids) to
    the featured products. Inputs that fail come back in the box with their reasons; the
    ones that worked are saved.
    """
    text = request.form.get("products", "")
    store = settings_store()
    follower = get_catalog().short_link_follower()
    try:
        found = extract_all(text, follower=follower)
    finally:
        follower.close()
    failures = found.failures
    kept_text = "\n".join(failure.input for failure in failures)
    if not found.ids and not failures:
        flash("Paste at least one AliExpress product address or product ID.", "error")
        return settings_page(400, products_text=text)

    current = store.state().settings.featured_products
    new_ids = [pid for pid in found.ids if pid not in current]
    merged = [*current, *new_ids]
    if len(merged) > MAX_FEATURED_PRODUCTS:
        flash(
            f"Nothing was added: that would make {len(merged)} featured products and at most "
            f"{MAX_FEATURED_PRODUCTS} are allowed. Remove some from the list first.",
            "error",
        )
        return settings_page(400, products_text=text)
    if new_ids:
        try:
            store.save({"featured_products": merged})
        except (SettingsError, SettingsStorageError) as exc:
            flash(f"Nothing was added. {exc} {exc.fix}", "error")
            return settings_page(500, products_text=text)
    added = len(new_ids)
    already = len(found.ids) - added
    summary = f"Added {added} product{'s' if added != 1 else ''} to the featured products."
    if already:
        summary += f" {already} {'was' if already == 1 else 'were'} already there."
    if not failures:
        flash(summary, "success")
        return redirect(url_for("admin.settings") + "#add-products", code=303)
    if added or already:
        flash(summary, "success")
    flash(
        f"{len(failures)} input{'s' if len(failures) != 1 else ''} could not be used; "
        "they are still in the box below with the reason for each.",
        "error",
    )
    return settings_page(
        200 if found.ids else 400, products_text=kept_text, products_failures=failures
    )


@bp.route("/<path:_anything>", methods=["GET", "POST"])
def _unknown(_anything: str) -> Response:
    # Reached only by a signed-in admin (everyone else was redirected to the login page).
    abort(404)
