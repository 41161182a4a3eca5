"""The package's public face: every listed name exists, and nothing public goes unlisted.

(The modules' doctests are collected by pytest itself: ``--doctest-modules``.)
"""

from __future__ import annotations

import ast
from pathlib import Path
from types import ModuleType

import affsite.aliexpress
import affsite.aliexpress.sandbox


def _public(package: ModuleType) -> set[str]:
    return {
        name
        for name, value in vars(package).items()
        if not name.startswith("_") and not isinstance(value, ModuleType) and name != "annotations"
    }


def test_exported_names_exist_and_are_listed() -> None:
    assert set(affsite.aliexpress.__all__) == _public(affsite.aliexpress)


def test_sandbox_exported_names_exist_and_are_listed() -> None:
    assert set(affsite.aliexpress.sandbox.__all__) == _public(affsite.aliexpress.sandbox)


def test_the_client_side_never_imports_the_settings() -> None:
    """Constants flow downward: the settings take them from here, not the other way round."""
    package = Path(affsite.aliexpress.__file__).parent
    for path in package.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ImportFrom) and node.module:
                assert not node.module.startswith(("affsite.settings", "affsite.web")), path
                assert not node.module.startswith("flask"), path
