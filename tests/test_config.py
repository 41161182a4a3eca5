"""Deploy-time configuration: defaults, instance/config.py, AFFSITE_* variables, secret key."""

from __future__ import annotations

import os
import stat
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from werkzeug.middleware.proxy_fix import ProxyFix

from affsite import create_app

MakeApp = Callable[..., Flask]


@pytest.fixture
def instance(tmp_path: Path) -> Path:
    return tmp_path / "instance"


@pytest.fixture
def make_app(instance: Path) -> MakeApp:
    """An app on the test's instance folder; keyword arguments override the config."""

    def make(**overrides: Any) -> Flask:
        return create_app({"TESTING": True, "INSTANCE_PATH": str(instance), **overrides})

    return make


def test_instance_folder_is_created_private(make_app: MakeApp, instance: Path) -> None:
    app = make_app()
    assert app.instance_path == str(instance)
    assert stat.S_IMODE(instance.stat().st_mode) == 0o700


def test_affsite_instance_selects_the_instance_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AFFSITE_INSTANCE", str(tmp_path / "chosen"))
    app = create_app({"TESTING": True})
    assert app.instance_path == str(tmp_path / "chosen")
    assert (tmp_path / "chosen" / "secret_key").exists()


def test_secret_key_is_generated_once_privately_and_reused(
    make_app: MakeApp, instance: Path
) -> None:
    first = make_app()
    key_file = instance / "secret_key"
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    assert first.config["SECRET_KEY"] == key_file.read_text().strip()
    assert len(first.config["SECRET_KEY"]) == 64
    assert make_app().config["SECRET_KEY"] == first.config["SECRET_KEY"]


def test_different_installations_get_different_keys(tmp_path: Path) -> None:
    one = create_app({"INSTANCE_PATH": str(tmp_path / "one")})
    two = create_app({"INSTANCE_PATH": str(tmp_path / "two")})
    assert one.config["SECRET_KEY"] != two.config["SECRET_KEY"]


def test_a_given_secret_key_is_used_and_nothing_is_written(
    make_app: MakeApp, instance: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AFFSITE_SECRET_KEY", "k" * 40)
    assert make_app().config["SECRET_KEY"] == "k" * 40
    assert not (instance / "secret_key").exists()


def test_a_readable_secret_key_file_is_made_private(make_app: MakeApp, instance: Path) -> None:
    make_app()
    os.chmod(instance / "secret_key", 0o644)
    make_app()
    assert stat.S_IMODE((instance / "secret_key").stat().st_mode) == 0o600


def test_configuration_sources_in_order(
    make_app: MakeApp, instance: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    instance.mkdir(mode=0o700)
    (instance / "config.py").write_text(
        "LOGIN_MAX_FAILURES = 3\nLOGIN_FAILURE_WINDOW = 60\nPROXY_FIX = 0\n"
    )
    monkeypatch.setenv("AFFSITE_LOGIN_FAILURE_WINDOW", "120")
    monkeypatch.setenv("AFFSITE_PROXY_FIX", "1")
    app = make_app(PROXY_FIX=0)
    assert app.config["LOGIN_MAX_FAILURES"] == 3  # instance/config.py over defaults
    assert app.config["LOGIN_FAILURE_WINDOW"] == 120  # environment over config.py
    assert app.config["PROXY_FIX"] == 0  # test_config over the environment
    assert app.config["MAX_CONTENT_LENGTH"] == 1024 * 1024  # default


def test_settings_variables_stay_out_of_app_config(
    make_app: MakeApp, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AFFSITE_APP_SECRET", "CANARY-SECRET-7f3a9c")
    monkeypatch.setenv("AFFSITE_ADMIN_PASSWORD", "initial-password-1")
    config = make_app().config
    assert "APP_SECRET" not in config
    assert "ADMIN_PASSWORD" not in config
    assert "CANARY-SECRET-7f3a9c" not in repr(dict(config))


def test_https_flag_makes_cookies_secure(
    make_app: MakeApp, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AFFSITE_HTTPS", "true")
    app = make_app()
    assert app.config["SESSION_COOKIE_SECURE"] is True
    assert app.config["PREFERRED_URL_SCHEME"] == "https"


def test_proxy_fix_trusts_for_and_proto_from_the_configured_number_of_proxies(
    make_app: MakeApp,
) -> None:
    app = make_app(PROXY_FIX=1)
    assert isinstance(app.wsgi_app, ProxyFix)
    assert not isinstance(make_app().wsgi_app, ProxyFix)
    response = app.test_client().get(
        "/", headers={"X-Forwarded-Proto": "https", "X-Forwarded-Host": "shop.example"}
    )
    page = response.get_data(as_text=True)
    # Proto is trusted; Host is not unless PROXY_FIX_HOST says so (issue 8 row 4).
    assert "https://localhost/api/v1/products?ids=" in page
    assert "shop.example" not in page


@pytest.mark.parametrize(("raw", "expected"), [("0", 0), ("2", 2), ("true", 1), ("false", 0)])
def test_proxy_counts_from_the_environment(
    make_app: MakeApp, monkeypatch: pytest.MonkeyPatch, raw: str, expected: int
) -> None:
    for name in ("PROXY_FIX", "PROXY_FIX_HOST", "PROXY_FIX_PREFIX"):
        monkeypatch.setenv(f"AFFSITE_{name}", raw)
    config = make_app().config
    assert (config["PROXY_FIX"], config["PROXY_FIX_HOST"], config["PROXY_FIX_PREFIX"]) == (
        expected,
        expected,
        expected,
    )


@pytest.mark.parametrize("value", [-1, 11, "yes", 1.5, None])
def test_a_proxy_count_that_is_not_one_stops_the_start(make_app: MakeApp, value: object) -> None:
    with pytest.raises(RuntimeError, match="PROXY_FIX_HOST must be the number"):
        make_app(PROXY_FIX_HOST=value)


def test_the_public_url_is_checked_and_normalised(
    make_app: MakeApp, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AFFSITE_PUBLIC_URL", "HTTPS://Shop.Example:8443/boxes/")
    assert make_app().config["PUBLIC_URL"] == "https://shop.example:8443/boxes"
    assert make_app(PUBLIC_URL="").config["PUBLIC_URL"] is None


@pytest.mark.parametrize(
    "value",
    [
        "shop.example",
        "ftp://shop.example",
        "https://user@shop.example",
        "https://shop.example/?q=1",
        "https://shop.example/#x",
        "https://shop.example/a/../b",
        "https://shop.example//evil.example",
        "https://shop.example:0",
        'https://shop.example/"><script>',
    ],
)
def test_a_public_url_that_is_not_a_site_address_stops_the_start(
    make_app: MakeApp, value: str
) -> None:
    with pytest.raises(RuntimeError, match="PUBLIC_URL must be the address visitors use"):
        make_app(PUBLIC_URL=value)


def test_services_live_in_app_extensions(make_app: MakeApp) -> None:
    app = make_app()
    for key in (
        "affsite.settings",
        "affsite.admin_password",
        "affsite.login_throttle",
        "affsite.renderer",
        "csrf",
    ):
        assert key in app.extensions


def test_text_settings_from_the_environment_stay_text(
    make_app: MakeApp, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AFFSITE_SECRET_KEY", "1234567890" * 4)
    monkeypatch.setenv("AFFSITE_PASSWORD_HASH_METHOD", "pbkdf2:sha256:1")
    monkeypatch.setenv("AFFSITE_LOGIN_MAX_FAILURES", "7")
    config = make_app().config
    assert config["SECRET_KEY"] == "1234567890" * 4
    assert config["LOGIN_MAX_FAILURES"] == 7


# --- several machines: the Redis they share -------------------------------------------------------


def test_redis_url_from_the_environment_puts_the_settings_and_stores_in_redis(
    make_app: MakeApp, monkeypatch: pytest.MonkeyPatch, redis_url: str, redis_prefix: str
) -> None:
    from affsite.catalog import get_catalog
    from affsite.settings import settings_store
    from affsite.settings.redis_store import RedisSettingsStore

    monkeypatch.setenv("AFFSITE_REDIS_URL", redis_url)
    monkeypatch.setenv("AFFSITE_REDIS_PREFIX", redis_prefix)
    app = make_app()
    assert (app.config["REDIS_URL"], app.config["REDIS_PREFIX"]) == (redis_url, redis_prefix)
    with app.app_context():
        assert isinstance(settings_store(), RedisSettingsStore)
        assert get_catalog().stores.health.backend == "redis"
    health = app.test_client().get("/healthz").get_json()
    assert (health["status"], health["store"]) == ("ok", "redis")


def test_without_a_redis_url_everything_stays_on_disk(make_app: MakeApp) -> None:
    app = make_app(REDIS_URL="")
    assert app.config["REDIS_URL"] is None and app.config["REDIS_PREFIX"] == "affsite"
    assert app.test_client().get("/healthz").get_json()["store"] == "disk"


@pytest.mark.parametrize("value", ["http://cache:6379", "cache:6379", "redis://"])
def test_a_redis_url_that_is_not_one_stops_the_start_without_repeating_it(
    make_app: MakeApp, value: str
) -> None:
    with pytest.raises(RuntimeError, match="must be a Redis address such as redis://") as stop:
        make_app(REDIS_URL=value.replace("cache", "user:s3cret@cache"))
    assert "s3cret" not in str(stop.value)


@pytest.mark.parametrize("value", ["", "a b", "shop*", "x" * 65, "-lead"])
def test_a_redis_prefix_that_is_not_plain_stops_the_start(make_app: MakeApp, value: str) -> None:
    with pytest.raises(RuntimeError, match="REDIS_PREFIX must be 1 to 64 letters"):
        make_app(REDIS_PREFIX=value)
