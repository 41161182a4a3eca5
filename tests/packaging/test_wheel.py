"""A built wheel (not only an editable install) carries its templates and static files."""

from __future__ import annotations

import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("wheel")
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--no-deps",
            "--no-build-isolation",
            "-q",
            "-w",
            str(out),
            str(ROOT),
        ],
        check=True,
        timeout=300,
    )
    (built,) = out.glob("affsite-*.whl")
    return built


def test_wheel_ships_templates_and_static_files(wheel: Path) -> None:
    names = set(zipfile.ZipFile(wheel).namelist())
    templates = {n for n in names if n.startswith("affsite/templates/")}
    static = {n for n in names if n.startswith("affsite/static/")}
    repo_templates = {
        "affsite/templates/" + p.relative_to(ROOT / "templates").as_posix()
        for p in (ROOT / "templates").rglob("*.html")
    }
    assert repo_templates, "the repository has templates to ship"
    assert repo_templates <= templates
    assert any(n.endswith(".css") for n in static)
    assert "affsite/cli/__init__.py" in names


def test_installed_wheel_serves_pages_outside_the_source_tree(wheel: Path, tmp_path: Path) -> None:
    target = tmp_path / "site"
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "install",
            "--no-deps",
            "-q",
            "--target",
            str(target),
            str(wheel),
        ],
        check=True,
        timeout=300,
    )
    script = (
        "import affsite, sys\n"
        "assert affsite.__file__.startswith(sys.argv[1]), affsite.__file__\n"
        "app = affsite.create_app({'TESTING': True})\n"
        "c = app.test_client()\n"
        "for path in ('/', '/admin/login', '/healthz'):\n"
        "    r = c.get(path)\n"
        "    assert r.status_code == 200, (path, r.status_code)\n"
        "print('served')\n"
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith("AFFSITE_")}
    env["PYTHONPATH"] = str(target)
    env["AFFSITE_INSTANCE"] = str(tmp_path / "instance")
    result = subprocess.run(
        [sys.executable, "-c", script, str(target)],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    assert "served" in result.stdout
