"""The running app with its shared state in Redis (issue 13): the dashboard and /healthz say
where it is kept, and while Redis is down pages still answer, gateway calls stop and both say
why, until it answers again.

Demo mode throughout: the app's own catalog talks to the built-in sandbox in-process.
"""

from __future__ import annotations

from typing import Protocol

from flask.testing import FlaskClient

from .conftest import MakeApp
from .helpers import ADMIN_PASSWORD, log_in, password_store

MUG = "33006951782"
EARBUDS = "1005004757833857"


class Server(Protocol):
    def start(self) -> None: ...
    def stop(self) -> None: ...


def api(client: FlaskClient, *ids: str) -> tuple[str, list[dict[str, object]]]:
    response = client.get("/api/v1/products", query_string={"ids": ",".join(ids)})
    assert response.status_code == 200
    items: list[dict[str, object]] = response.get_json()
    return response.headers["X-Cache"], items


def test_the_dashboard_and_healthz_say_the_state_is_in_redis_and_why_calls_stop(
    make_app: MakeApp, redis_server: Server, redis_url: str, redis_prefix: str
) -> None:
    app = make_app(REDIS_URL=redis_url, REDIS_PREFIX=redis_prefix)
    password_store(app).set(ADMIN_PASSWORD)
    client = app.test_client()
    log_in(client)
    assert api(client, MUG)[0] == "MISS"
    assert api(client, MUG)[0] == "HIT"
    dashboard = client.get("/admin/").get_data(as_text=True)
    assert "Kept in: Redis, shared by every machine (127.0.0.1:" in dashboard
    assert 'id="limits-stopped"' not in dashboard

    redis_server.stop()
    try:
        status, items = api(client, MUG, EARBUDS)  # no 5xx: the kept product, a fallback
        assert [item["available"] for item in items] == [True, False]
        assert items[1]["reason"] == "limits_unavailable"
        assert client.get("/").status_code == 200
        health = client.get("/healthz")
        assert health.status_code == 503
        assert health.get_json()["store"] == "redis"
        assert health.get_json()["limits_problem"] == "Redis refused the connection"
        assert redis_url.split("//")[1].split("/")[0] not in health.get_data(as_text=True)
        dashboard = client.get("/admin/").get_data(as_text=True)
        assert 'id="limits-stopped"' in dashboard
        assert "refused the connection; start it or correct AFFSITE_REDIS_URL" in dashboard
        assert "kept in Redis, which cannot be used now" in dashboard
    finally:
        redis_server.start()
