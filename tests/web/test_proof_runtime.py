"""The running app: a settings save reaches every worker's answers at once, and a cache folder
that cannot be written stops gateway calls but never pages (hardening.md 2.5 "settings changed
mid-flight"; issue 8 row 9).

Demo mode throughout: the app's own catalog talks to the built-in sandbox in-process.
"""

from __future__ import annotations

from pathlib import Path

from flask.testing import FlaskClient

from .conftest import MakeApp
from .helpers import ADMIN_PASSWORD, log_in, password_store

MUG = "33006951782"
EARBUDS = "1005004757833857"


def api(client: FlaskClient, *ids: str) -> tuple[str, list[dict[str, object]]]:
    response = client.get("/api/v1/products", query_string={"ids": ",".join(ids)})
    assert response.status_code == 200
    items: list[dict[str, object]] = response.get_json()
    return response.headers["X-Cache"], items


def test_a_saved_tracking_id_and_currency_reach_every_worker_on_the_next_request(
    make_app: MakeApp,
) -> None:
    first = make_app()
    password_store(first).set(ADMIN_PASSWORD)
    second = make_app()  # another worker process on the same instance folder
    admin, visitor = first.test_client(), second.test_client()
    log_in(admin)

    status, before = api(visitor, MUG)
    assert status == "MISS"
    assert api(visitor, MUG) == ("HIT", before)

    saved = admin.post("/admin/settings", data={"tracking_id": "site_two", "currency": "EUR"})
    assert saved.status_code == 303

    status, after = api(visitor, MUG)
    assert status == "MISS", "a new namespace: nothing from the old settings is served"
    assert after[0]["affiliate_url"] and after[0]["affiliate_url"] != before[0]["affiliate_url"]
    assert after[0]["price"]["currency"] == "EUR"  # type: ignore[index]
    assert api(visitor, MUG) == ("HIT", after)


def test_an_unusable_cache_folder_stops_gateway_calls_not_pages(
    make_app: MakeApp, instance: Path
) -> None:
    # Issue 8 row 9: the quota and the other limits shared by every worker live in the cache
    # folder. When it cannot be written, no process may call the gateway on limits it cannot
    # share: answers fall back, pages still answer, and /healthz and the dashboard say why.
    instance.mkdir(mode=0o700)
    (instance / "cache").write_text("a file where the cache folder should be")

    app = make_app()  # must not crash
    password_store(app).set(ADMIN_PASSWORD)
    client = app.test_client()

    for _ in range(2):
        status, items = api(client, MUG, EARBUDS)
        assert status == "FALLBACK"
        assert [item["available"] for item in items] == [False, False]
    assert client.get("/").status_code == 200
    assert client.get("/embed/iframe/" + MUG).status_code == 200
    health = client.get("/healthz")
    assert health.status_code == 503
    assert health.get_json()["limits"] == "stopped"
    log_in(client)
    dashboard = client.get("/admin/").get_data(as_text=True)
    assert 'id="cache-degraded"' in dashboard
