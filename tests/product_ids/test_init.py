"""The package's public face: what it exports, and no import cycle inside it.

The modules' doctests are collected by pytest itself (``--doctest-modules``).
"""

from __future__ import annotations

import ast
import importlib
import pkgutil
from pathlib import Path
from types import ModuleType

import affsite.product_ids

PACKAGE = affsite.product_ids.__name__
MODULES = sorted(
    f"{PACKAGE}.{info.name}" for info in pkgutil.iter_modules(affsite.product_ids.__path__)
)


def _module(name: str) -> ModuleType:
    # importlib, not attribute access: the package exports functions named like two modules.
    return importlib.import_module(name)


def test_every_exported_name_exists_once() -> None:
    exported = affsite.product_ids.__all__

    assert len(exported) == len(set(exported))
    assert all(hasattr(affsite.product_ids, name) for name in exported)


def test_the_names_other_code_imports_stay_exported() -> None:
    # Used by the catalog, the views, the settings, the commands, the tests and the benchmarks;
    # the aliexpress package takes is_aliexpress_host for the links the gateway returns.
    used_elsewhere = {
        "REGIONAL_OFFSET", "ExtractResult", "Follower", "MemoryCache", "Resolution",
        "ShortLinkFollower", "extract_all", "is_aliexpress_host", "resolve",
    }  # fmt: skip

    assert used_elsewhere <= set(affsite.product_ids.__all__)


def _imports_within_package(name: str) -> set[str]:
    source = Path(_module(name).__file__ or "").read_text(encoding="utf-8")
    found: set[str] = set()
    for node in ast.walk(ast.parse(source)):  # function-level imports count too
        if isinstance(node, ast.ImportFrom) and node.module is not None:
            if node.module.startswith(PACKAGE + "."):
                found.add(node.module)
            elif node.module == PACKAGE:
                found.update(f"{PACKAGE}.{alias.name}" for alias in node.names)
        elif isinstance(node, ast.Import):
            found.update(a.name for a in node.names if a.name.startswith(PACKAGE + "."))
    return found & set(MODULES)


def test_the_modules_import_each_other_without_a_cycle() -> None:
    graph = {name: _imports_within_package(name) for name in MODULES}
    done: set[str] = set()

    def visit(name: str, path: tuple[str, ...]) -> None:
        assert name not in path, f"import cycle: {' -> '.join((*path, name))}"
        if name in done:
            return
        for imported in graph[name]:
            visit(imported, (*path, name))
        done.add(name)

    for name in MODULES:
        visit(name, ())
    assert graph[f"{PACKAGE}.verdicts"] == set()  # the bottom layer depends on nothing here


def test_no_module_is_over_about_400_lines() -> None:
    sizes = {
        name: len(Path(_module(name).__file__ or "").read_text().splitlines()) for name in MODULES
    }

    assert max(sizes.values()) <= 420, sizes


def test_the_package_init_is_short_and_says_what_the_package_is_for() -> None:
    init = Path(affsite.product_ids.__file__ or "")

    assert affsite.product_ids.__doc__ and "product id" in affsite.product_ids.__doc__
    assert len(init.read_text().splitlines()) <= 80
