"""docs/architecture.md names every module, so the map stays true as the code moves."""

from __future__ import annotations

from pathlib import Path

import affsite

ROOT = Path(affsite.__file__).parent
DOC = ROOT.parent / "docs" / "architecture.md"


def test_every_module_has_a_line_in_the_architecture_page() -> None:
    text = DOC.read_text()
    missing = []
    for path in sorted(ROOT.rglob("*.py")):
        relative = path.relative_to(ROOT).as_posix()
        if path == ROOT / "__init__.py":
            relative = "affsite/__init__.py"
        elif path.parent == ROOT:
            relative = f"affsite/{relative}"
        if f"`{relative}`" not in text:
            missing.append(relative)
    assert not missing, f"add these modules to docs/architecture.md: {missing}"


def test_the_architecture_page_names_no_module_that_is_gone() -> None:
    text = DOC.read_text()
    for line in text.splitlines():
        if line.startswith("| `") and line.count("`") >= 2:
            name = line.split("`")[1]
            path = ROOT.parent / name if name.startswith("affsite/") else ROOT / name
            assert path.exists(), f"docs/architecture.md names {name}, which does not exist"
