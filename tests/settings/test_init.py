"""The settings package's public face, and the direction of its dependencies."""

from __future__ import annotations

import ast
from pathlib import Path
from types import ModuleType

import affsite.settings


def test_exported_names_exist_and_are_listed() -> None:
    public = {
        name
        for name, value in vars(affsite.settings).items()
        if not name.startswith("_") and not isinstance(value, ModuleType) and name != "annotations"
    }
    assert set(affsite.settings.__all__) == public


def test_settings_import_nothing_from_the_web_layer_at_module_level() -> None:
    """``import affsite.settings`` must stay free of Flask: layers below the web import it."""
    package = Path(affsite.settings.__file__).parent
    for path in package.glob("*.py"):
        for node in ast.parse(path.read_text()).body:
            if isinstance(node, ast.ImportFrom) and node.module:
                assert not node.module.startswith(("flask", "affsite.web")), path
            if isinstance(node, ast.Import):
                assert not any(alias.name.startswith("flask") for alias in node.names), path
