"""Where the templates and static files are.

In a source checkout they sit beside the package (``templates/``, ``static/`` at the top level);
in an installed wheel they are shipped inside the package (``affsite/templates``,
``affsite/static``), so both layouts are looked up, the installed one first.
"""

from __future__ import annotations

from pathlib import Path

_PACKAGE_DIR = Path(__file__).resolve().parent


def _locate(name: str) -> Path:
    for candidate in (_PACKAGE_DIR / name, _PACKAGE_DIR.parent / name):
        if candidate.is_dir():
            return candidate
    raise RuntimeError(
        f"affsite cannot find its {name}/ folder; reinstall the package (pip install affsite)."
    )


def template_folder() -> Path:
    return _locate("templates")


def static_folder() -> Path:
    return _locate("static")
