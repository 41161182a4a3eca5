"""The admin area: login, logout, dashboard, settings (and revealing the App Secret).

Every view except the login page requires the admin session; everything under /admin gets
the no-store / no-framing headers from ``affsite.web.security``.
"""

from __future__ import annotations

import logging

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

from affsite.errors import SettingsError
from affsite.settings import FIELDS, SettingsStorageError, settings_store
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
        "admin/dashboard.html", state=state, stats=stats, moment=moment, duration=duration
    )


# --- settings ---------------------------------------------------------------------------


def _settings_page(
    status: int = 200,
    *,
    submitted: dict[str, str] | None = None,
    errors: dict[str, str] | None = None,
    revealed: str | None = None,
) -> tuple[str, int]:
    state = settings_store().state()
    groups = settings_form.build(state, submitted, errors)
    page = render_template(
        "admin/settings.html",
        state=state,
        groups=groups,
        revealed=revealed,
        clear_secret_name=settings_form.CLEAR_SECRET,
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


@bp.route("/<path:_anything>", methods=["GET", "POST"])
def _unknown(_anything: str) -> Response:
    # Reached only by a signed-in admin (everyone else was redirected to the login page).
    abort(404)
