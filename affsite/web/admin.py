"""The admin area: login, logout, dashboard, settings (and revealing the App Secret).

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
from affsite.product_ids import Resolution, extract_all
from affsite.settings import (
    FIELDS,
    MAX_FEATURED_PRODUCTS,
    SettingsStorageError,
    settings_store,
)
from affsite.web import settings_form
from affsite.web.auth import (
    admin_password,
    client_address,
    is_admin,
    log_in,
    log_out,
    login_throttle,
)
from affsite.web.security import safe_next

log = logging.getLogger(__name__)

bp = Blueprint("admin", __name__, url_prefix="/admin")

_PUBLIC_ENDPOINTS = frozenset({"admin.login"})


def init_app(app: Flask) -> None:
    app.register_blueprint(bp)


@bp.before_request
def _require_admin() -> Response | None:
    if request.endpoint in _PUBLIC_ENDPOINTS or is_admin():
        return None
    target = request.full_path.rstrip("?") if request.method == "GET" else None
    return redirect(url_for("admin.login", next=target), code=303)


# --- login ------------------------------------------------------------------------------


@bp.route("/login", methods=["GET", "POST"])
def login() -> Response | tuple[str, int] | str:
    """Sign in with the admin password. Failed attempts are throttled per client address
    and globally; ``next`` only ever leads to a path on this site.
    """
    next_url = safe_next(request.values.get("next"), url_for("admin.dashboard"))
    if not admin_password().is_set():
        return render_template("admin/login.html", next_url=next_url, no_password=True)
    if request.method != "POST":
        if is_admin():
            return redirect(next_url)
        return render_template("admin/login.html", next_url=next_url)

    client = client_address()
    wait = login_throttle().retry_after(client)
    if wait:
        log.warning("admin login refused: too many failed attempts (client %s)", client)
        minutes = max(1, round(wait / 60))
        flash(f"Too many failed sign-in attempts. Try again in {minutes} minute(s).", "error")
        page = render_template("admin/login.html", next_url=next_url)
        return Response(page, 429, {"Retry-After": str(wait)})
    if not admin_password().check(request.form.get("password", "")):
        login_throttle().record_failure(client)
        log.warning("admin login failed (client %s)", client)
        flash("Wrong password.", "error")
        return render_template("admin/login.html", next_url=next_url), 401
    login_throttle().reset(client)
    log_in()
    log.info("admin signed in (client %s)", client)
    return redirect(next_url, code=303)


@bp.post("/logout")
def logout() -> Response:
    log_out()
    flash("You are signed out.", "info")
    return redirect(url_for("admin.login"), code=303)


# --- dashboard --------------------------------------------------------------------------


@bp.get("/")
def dashboard() -> str:
    """The admin's start page: the settings at a glance, then today's quota, the cache and
    the gateway's recent trouble as the catalog reports them.
    """
    from flask import current_app

    from affsite.catalog import EXTENSION_KEY
    from affsite.moments import duration, moment

    state = settings_store().state()
    catalog = current_app.extensions.get(EXTENSION_KEY)
    stats = catalog.stats() if catalog is not None else None
    return render_template(
        "admin/dashboard.html",
        state=state,
        stats=stats,
        moment=moment,
        duration=duration,
        field_labels={name: field.label for name, field in FIELDS.items()},
    )


# --- settings ---------------------------------------------------------------------------


def _settings_page(
    status: int = 200,
    *,
    submitted: dict[str, str] | None = None,
    errors: dict[str, str] | None = None,
    revealed: str | None = None,
    products_text: str = "",
    products_failures: Sequence[Resolution] = (),
) -> tuple[str, int]:
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
    )
    return page, status


@bp.get("/settings")
def settings() -> tuple[str, int]:
    return _settings_page()


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
        return _settings_page(400, submitted=form, errors=errors)
    except SettingsStorageError as exc:
        flash(f"Nothing was saved. {exc} {exc.fix}", "error")
        return _settings_page(500, submitted=form)
    flash("Settings saved. They are in force for every page from now on.", "success")
    return redirect(url_for("admin.settings"), code=303)


@bp.post("/settings/reveal")
def reveal_secret() -> tuple[str, int]:
    """Show the stored App Secret once, after the admin password is typed again."""
    state = settings_store().state()
    if "app_secret" in state.env_fields or not state.settings.app_secret:
        abort(404)
    client = client_address()
    if login_throttle().retry_after(client):
        flash("Too many wrong passwords. Try again later.", "error")
        return _settings_page(429)
    if not admin_password().check(request.form.get("password", "")):
        login_throttle().record_failure(client)
        log.warning("app_secret reveal refused: wrong password (client %s)", client)
        flash("Wrong password; the App Secret stays hidden.", "error")
        return _settings_page(401)
    log.info("app_secret revealed to the admin (client %s)", client)
    return _settings_page(revealed=state.settings.app_secret)


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
        return _settings_page(400, products_text=text)

    current = store.state().settings.featured_products
    new_ids = [pid for pid in found.ids if pid not in current]
    merged = [*current, *new_ids]
    if len(merged) > MAX_FEATURED_PRODUCTS:
        flash(
            f"Nothing was added: that would make {len(merged)} featured products and at most "
            f"{MAX_FEATURED_PRODUCTS} are allowed. Remove some from the list first.",
            "error",
        )
        return _settings_page(400, products_text=text)
    if new_ids:
        try:
            store.save({"featured_products": merged})
        except (SettingsError, SettingsStorageError) as exc:
            flash(f"Nothing was added. {exc} {exc.fix}", "error")
            return _settings_page(500, products_text=text)
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
    return _settings_page(
        200 if found.ids else 400, products_text=kept_text, products_failures=failures
    )


@bp.route("/<path:_anything>", methods=["GET", "POST"])
def _unknown(_anything: str) -> Response:
    # Reached only by a signed-in admin (everyone else was redirected to the login page).
    abort(404)
