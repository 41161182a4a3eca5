"""The package's public face, and its place below the web layer."""

from __future__ import annotations

import ast
from pathlib import Path

import affsite.shortcodes

FOLDER = Path(affsite.shortcodes.__file__).parent


def test_every_public_name_is_exported() -> None:
    assert all(hasattr(affsite.shortcodes, name) for name in affsite.shortcodes.__all__)
    assert sorted(affsite.shortcodes.__all__) == sorted(set(affsite.shortcodes.__all__))


def test_no_module_imports_flask_or_the_web_layer() -> None:
    for path in FOLDER.glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            names = []
            if isinstance(node, ast.ImportFrom) and node.module:
                names = [node.module]
            elif isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            for name in names:
                assert not name.startswith(("flask", "affsite.web", "affsite.cli")), (path, name)
