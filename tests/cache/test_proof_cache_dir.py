"""``AFFSITE_CACHE_DIR`` pointed at an existing shared folder: the app keeps its mode and keeps
every file of its own inside private (issue 8, row 10).
"""

from __future__ import annotations

import stat
from pathlib import Path

import pytest

from affsite import create_app


def test_a_shared_sticky_cache_dir_keeps_its_mode_and_our_files_stay_private(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    shared = tmp_path / "shared"
    shared.mkdir()
    shared.chmod(0o1777)
    monkeypatch.setenv("AFFSITE_CACHE_DIR", str(shared))
    app = create_app({"TESTING": True, "INSTANCE_PATH": str(tmp_path / "instance")})
    client = app.test_client()
    answer = client.get("/api/v1/products", query_string={"ids": "1005004757833857"})
    assert answer.status_code == 200 and answer.headers["X-Cache"] == "MISS"
    assert stat.S_IMODE(shared.stat().st_mode) == 0o1777
    mine = list(shared.rglob("*"))
    assert {p.name for p in mine} >= {"data", "ctl", "cache.db"}
    for path in mine:
        expected = 0o700 if path.is_dir() else 0o600
        assert stat.S_IMODE(path.stat().st_mode) == expected, path
