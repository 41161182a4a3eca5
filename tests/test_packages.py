"""The house rules every package keeps: a public face, small modules, layers that point down.

DESIGN.md draws one direction: views -> catalog -> (cache, limits) -> API client -> HTTP, and
nothing below the catalog knows Flask. These tests read the code (imports as written, line
counts), so a change that breaks a rule fails here with the file and the rule it broke.
"""

from __future__ import annotations

import ast
import importlib
from pathlib import Path
from types import ModuleType

import pytest

import affsite

ROOT = Path(affsite.__file__).parent
PACKAGES = sorted(
    str(path.parent.relative_to(ROOT.parent)).replace("/", ".")
    for path in ROOT.rglob("__init__.py")
    if path.parent != ROOT
)
MODULES = sorted(ROOT.rglob("*.py"))

# Packages that must work without Flask: everything below the web layer and the CLI.
FLASK_FREE = (
    "affsite.aliexpress",
    "affsite.cache",
    "affsite.limits",
    "affsite.product_ids",
    "affsite.settings",
)
# Who may import whom, package by package (a package may always import itself and the
# top-level helper modules such as affsite.clock and affsite.errors).
LOWER_LAYERS: dict[str, set[str]] = {
    "affsite.aliexpress": {"affsite.product_ids"},
    "affsite.product_ids": set(),
    "affsite.cache": set(),
    "affsite.settings": {"affsite.aliexpress", "affsite.product_ids"},
    "affsite.limits": {"affsite.aliexpress", "affsite.cache", "affsite.settings"},
}


def _imports(path: Path, *, top_level_only: bool = False) -> set[str]:
    """Every module named by an import statement in the file (or only at module level)."""
    found: set[str] = set()
    tree = ast.parse(path.read_text())
    for node in tree.body if top_level_only else ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
        elif isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
    return found


def _package_of(module: str) -> str | None:
    parts = module.split(".")
    return ".".join(parts[:2]) if len(parts) > 1 and parts[0] == "affsite" else None


@pytest.mark.parametrize("name", PACKAGES)
def test_each_package_says_what_it_is_for_and_names_its_public_face(name: str) -> None:
    package = importlib.import_module(name)
    assert (package.__doc__ or "").strip(), f"{name}/__init__.py needs a docstring"
    exported = getattr(package, "__all__", None)
    assert exported, f"{name}/__init__.py needs __all__"
    missing = [item for item in exported if not hasattr(package, item)]
    if missing:
        # Names of submodules may be listed without being imported yet.
        for item in list(missing):
            try:
                importlib.import_module(f"{name}.{item}")
            except ImportError:
                continue
            missing.remove(item)
    assert not missing, f"{name}.__all__ lists names that do not exist: {missing}"
    init = Path(package.__file__ or "")
    assert len(init.read_text().splitlines()) <= 120, f"{init} should stay short"


@pytest.mark.parametrize("path", MODULES, ids=lambda p: str(p.relative_to(ROOT.parent)))
def test_no_module_is_over_about_400_lines(path: Path) -> None:
    assert len(path.read_text().splitlines()) <= 420


@pytest.mark.parametrize("package", FLASK_FREE)
def test_layers_below_the_web_never_import_flask(package: str) -> None:
    """Importing them never loads Flask (an ``init_app`` may import it when an app calls it)."""
    folder = ROOT.parent / package.replace(".", "/")
    for path in folder.rglob("*.py"):
        for module in _imports(path, top_level_only=True):
            assert not module.startswith(("flask", "affsite.web")), f"{path} imports {module}"


@pytest.mark.parametrize("package", sorted(LOWER_LAYERS))
def test_lower_layers_only_import_what_sits_below_them(package: str) -> None:
    allowed = LOWER_LAYERS[package] | {package}
    folder = ROOT.parent / package.replace(".", "/")
    for path in folder.rglob("*.py"):
        for module in _imports(path):
            owner = _package_of(module)
            if (
                owner is None
                or owner.count(".") == 0
                or not (ROOT.parent / owner.replace(".", "/")).is_dir()
            ):
                continue  # a top-level helper module (affsite.clock, affsite.errors, ...)
            assert owner in allowed, f"{path} imports {module}, above {package}"


def test_no_module_is_left_at_an_old_flat_path() -> None:
    flat = {path.stem for path in ROOT.glob("*.py")}
    assert flat <= {"__init__", "clock", "config", "errors", "files", "lru", "moments", "resources"}


def test_the_app_factory_reads_like_a_table_of_contents() -> None:
    source = Path(affsite.__file__).read_text()
    assert "def create_app(" in source
    assert isinstance(affsite, ModuleType)
    assert len(source.splitlines()) <= 80
