"""``affsite check`` and ``affsite products`` as subprocesses against a real sandbox server.

The sandbox listens on 127.0.0.1 (a free port); the commands find it through AFFSITE_API_URL
and the demo credentials, exactly as a site owner would point affsite at it.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from affsite.aliexpress.errors import IncompleteSignature
from affsite.aliexpress.protocol import PRODUCT_DETAIL
from affsite.aliexpress.sandbox import (
    DEMO_APP_KEY,
    DEMO_APP_SECRET,
    DEMO_TRACKING_ID,
    Sandbox,
    ServerHandle,
    serve,
)

pytestmark = pytest.mark.slow

COMMAND_TIMEOUT = 60


@pytest.fixture(scope="module")
def server() -> Iterator[tuple[Sandbox, ServerHandle]]:
    sandbox = Sandbox()
    with serve(sandbox, "127.0.0.1", 0) as handle:
        yield sandbox, handle


def affsite(
    *args: str,
    api_url: str,
    instance: Path,
    sign_method: str = "sha256",
    secret: str = DEMO_APP_SECRET,
) -> subprocess.CompletedProcess[str]:
    env = {name: value for name, value in os.environ.items() if not name.startswith("AFFSITE_")}
    env.update(
        {
            "AFFSITE_INSTANCE": str(instance),
            "AFFSITE_API_URL": api_url,
            "AFFSITE_APP_KEY": DEMO_APP_KEY,
            "AFFSITE_APP_SECRET": secret,
            "AFFSITE_TRACKING_ID": DEMO_TRACKING_ID,
            "AFFSITE_SIGN_METHOD": sign_method,
            "AFFSITE_COUNTRY": "DE",
            "AFFSITE_CURRENCY": "EUR",
            "PYTHONIOENCODING": "utf-8",
        }
    )
    script = Path(sys.executable).with_name("affsite")
    command = (
        [str(script)]
        if script.exists()
        else [
            sys.executable,
            "-c",
            "from affsite.cli import main; main()",
        ]
    )
    return subprocess.run(
        [*command, *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=COMMAND_TIMEOUT,
        check=False,
    )


@pytest.mark.parametrize("sign_method", ["sha256", "md5"])
def test_check_says_ok(
    server: tuple[Sandbox, ServerHandle], tmp_path: Path, sign_method: str
) -> None:
    sandbox, handle = server
    before = sandbox.call_count()
    done = affsite("check", api_url=handle.sync_url, instance=tmp_path, sign_method=sign_method)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "OK"
    assert sandbox.call_count() == before + 1


@pytest.mark.parametrize("sign_method", ["sha256", "md5"])
def test_products_json_in_the_order_asked(
    server: tuple[Sandbox, ServerHandle], tmp_path: Path, sign_method: str
) -> None:
    sandbox, handle = server
    promotable = list(sandbox.catalog.promotable_ids())
    hidden = list(sandbox.catalog.not_promotable_ids())[0]
    asked = [promotable[5], hidden, f"https://www.aliexpress.com/item/{promotable[0]}.html"]
    before = sandbox.call_count(PRODUCT_DETAIL)

    done = affsite(
        "products",
        "--json",
        *asked,
        api_url=handle.sync_url,
        instance=tmp_path,
        sign_method=sign_method,
    )

    assert done.returncode == 0, done.stderr
    items = json.loads(done.stdout)
    assert [item["id"] for item in items] == [promotable[5], hidden, promotable[0]]
    assert [item["available"] for item in items] == [True, False, True]
    assert items[1] == {"id": hidden, "available": False, "reason": "not_promotable"}
    first = items[0]
    assert first["price"]["currency"] == "EUR"
    assert isinstance(first["price"]["amount"], str)
    assert first["affiliate_url"].startswith("https://")
    assert first["fetched_at"].endswith("Z")
    assert sandbox.call_count(PRODUCT_DETAIL) == before + 1  # one batch


def test_products_table(server: tuple[Sandbox, ServerHandle], tmp_path: Path) -> None:
    sandbox, handle = server
    promotable = list(sandbox.catalog.promotable_ids())[:2]
    hidden = list(sandbox.catalog.not_promotable_ids())[0]
    done = affsite("products", *promotable, hidden, api_url=handle.sync_url, instance=tmp_path)
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert lines[0].split()[:2] == ["ID", "PRICE"]
    assert [line.split()[0] for line in lines[1:]] == [*promotable, hidden]
    assert "EUR" in lines[1]
    assert "not available" in lines[3]


def test_wrong_secret_fails_with_the_fix(
    server: tuple[Sandbox, ServerHandle], tmp_path: Path
) -> None:
    _, handle = server
    wrong = "definitely-not-the-secret"
    for command in (["check"], ["products", "1005004757833857"]):
        done = affsite(*command, api_url=handle.sync_url, instance=tmp_path, secret=wrong)
        assert done.returncode != 0
        assert IncompleteSignature.fix in done.stderr
        assert wrong not in done.stdout + done.stderr
        assert "OK" not in done.stdout


def test_gateway_down_exits_1(tmp_path: Path) -> None:
    sandbox = Sandbox()
    with serve(sandbox, "127.0.0.1", 0) as handle:
        url = handle.sync_url
    done = affsite("products", "1005004757833857", api_url=url, instance=tmp_path)
    assert done.returncode == 1
    assert "Problem:" in done.stderr and "Fix:" in done.stderr


def test_input_that_names_no_product_is_a_usage_error(
    server: tuple[Sandbox, ServerHandle], tmp_path: Path
) -> None:
    sandbox, handle = server
    before = sandbox.call_count()
    done = affsite("products", "not a product", api_url=handle.sync_url, instance=tmp_path)
    assert done.returncode == 2
    assert sandbox.call_count() == before
