"""axe-core in the browser tests: inject the npm package's ``axe.min.js``, run it, read what
it found.

scripts/test.sh installs axe-core into the git-ignored ``.cache/npm``; ``AFFSITE_AXE_JS``
names another copy. Without the file the accessibility tests fail (they never skip: a
missing checker would otherwise look like a pass) with a message saying how to install it.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from .helpers import ROOT

if TYPE_CHECKING:
    from playwright.sync_api import Frame, Page

AXE_JS = Path(
    os.environ.get("AFFSITE_AXE_JS") or ROOT / ".cache/npm/node_modules/axe-core/axe.min.js"
)
INSTALL_HINT = (
    "axe-core is missing: run scripts/test.sh (it installs it), or "
    "`npm install --prefix .cache/npm axe-core@4` in the repository"
)

# Every rule axe runs by default (WCAG 2.0-2.2 A and AA, and its best practices, which include
# "region": all content inside landmarks). Only the results are limited, to violations.
RUN_OPTIONS: dict[str, Any] = {"resultTypes": ["violations"]}


def axe_source() -> Path:
    if not AXE_JS.is_file():
        pytest.fail(f"{INSTALL_HINT} (looked for {AXE_JS})", pytrace=False)
    return AXE_JS


def inject(target: Page | Frame) -> None:
    """Put axe into the page or frame (the test's context bypasses the page's CSP for it)."""
    if not target.evaluate("() => typeof window.axe === 'object'"):
        target.add_script_tag(path=str(axe_source()))


def violations(
    page: Page, *, include: str | None = None, disable: tuple[str, ...] = ()
) -> list[dict[str, Any]]:
    """axe's violations for the page (and every frame in it, each checked by its own copy of
    axe), optionally only inside the elements ``include`` selects."""
    for frame in page.frames:
        if frame.url.startswith(("http://", "https://")):
            inject(frame)
    context: Any = {"include": [[include]]} if include else {"exclude": []}
    options = dict(RUN_OPTIONS)
    if disable:
        options["rules"] = {rule: {"enabled": False} for rule in disable}
    result: dict[str, Any] = page.evaluate(
        "([context, options]) => axe.run(context, options)", [context, options]
    )
    found: list[dict[str, Any]] = result["violations"]
    return found


def describe(found: list[dict[str, Any]]) -> str:
    """One readable paragraph per violation: the rule, why, and each offending element."""
    lines: list[str] = []
    for violation in found:
        lines.append(f"{violation['id']} ({violation['impact']}): {violation['help']}")
        for node in violation["nodes"][:8]:
            target = json.dumps(node["target"])
            summary = " ".join(node.get("failureSummary", "").split())
            lines.append(f"    {target}: {summary[:300]}")
    return "\n".join(lines)


def assert_accessible(page: Page, what: str, **kwargs: Any) -> None:
    found = violations(page, **kwargs)
    assert not found, f"axe-core found violations on {what}:\n{describe(found)}"
