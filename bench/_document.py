"""``docs/benchmarks.md`` as blocks: a header, a summary of every target, then one block per
benchmark script, each between ``<!-- bench:NAME -->`` and ``<!-- /bench:NAME -->`` markers so
that a later run can replace one section and keep the others as they were.

A file written before the markers existed is read by its ``## `` headings: a heading naming
``bench/bench_NAME.py`` starts NAME's section.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

TARGET_HEADER = "| target | result |"
NOT_RERUN = "> **Not re-run**"
_BLOCK = re.compile(
    r"^<!-- bench:(?P<name>[\w-]+) -->\n(?P<body>.*?)^<!-- /bench:(?P=name) -->$", re.M | re.S
)
_SCRIPT_IN_HEADING = re.compile(r"bench/bench_(\w+)\.py")


@dataclass(frozen=True)
class Target:
    target: str
    result: str


def read_blocks(text: str) -> dict[str, str]:
    """NAME -> its section (heading to footer, without the markers) from an existing file."""
    blocks = {m["name"]: m["body"].strip("\n") for m in _BLOCK.finditer(text)}
    if blocks:
        return blocks
    return _read_legacy(text)


def _read_legacy(text: str) -> dict[str, str]:
    blocks: dict[str, list[str]] = {}
    current: list[str] | None = None
    for line in text.splitlines():
        if line.startswith("## "):
            found = _SCRIPT_IN_HEADING.search(line)
            current = blocks.setdefault(found[1], []) if found else None
        if current is not None:
            current.append(line)
    return {name: "\n".join(lines).strip("\n") for name, lines in blocks.items()}


def split_cells(row: str) -> list[str]:
    """The cells of a markdown table row (``\\|`` inside a cell is not a separator)."""
    inner = row.strip()
    inner = inner.removeprefix("|").removesuffix("|")
    return [cell.strip().replace("\\|", "|") for cell in re.split(r"(?<!\\)\|", inner)]


def targets(section: str) -> list[Target]:
    """The rows of every ``| target | result |`` table in ``section``."""
    found: list[Target] = []
    lines = section.splitlines()
    for n, line in enumerate(lines):
        if line.strip() != TARGET_HEADER:
            continue
        for row in lines[n + 2 :]:  # past the header and its |---|---| line
            if not row.strip().startswith("|"):
                break
            cells = split_cells(row)
            if len(cells) >= 2:
                found.append(Target(cells[0], " | ".join(cells[1:])))
    return found


def has_target_table(section: str) -> bool:
    return any(line.strip() == TARGET_HEADER for line in section.splitlines())


def heading(section: str) -> str:
    first = section.lstrip("\n").splitlines()[0] if section.strip() else ""
    return first.removeprefix("## ").strip()


def anchor(title: str) -> str:
    """The link fragment a markdown renderer (GitHub's rules) gives heading ``title``."""
    kept = re.sub(r"[^\w\- ]", "", title.lower())
    return kept.replace(" ", "-")


def is_kept_from_before(section: str) -> bool:
    return any(line.startswith(NOT_RERUN) for line in section.splitlines())


def mark_not_rerun(section: str | None, script: str, when: str, error: str) -> str:
    """``section`` (or a stand-in when there is none) with a note, under its heading, that
    this run could not renew it and why; an older such note is replaced."""
    note = f"{NOT_RERUN} ({when}): `{script}` failed: {one_line(error)}. " + (
        "What follows is from an earlier run." if section else "There are no figures yet."
    )
    if not section:
        return f"## `{script}`: no figures yet\n\n{note}"
    lines = [line for line in section.splitlines() if not line.startswith(NOT_RERUN)]
    return "\n".join([lines[0], "", note, *lines[1:]]).replace("\n\n\n", "\n\n")


def one_line(text: str, limit: int = 300) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"


def cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def summary(blocks: list[tuple[str, str]]) -> list[str]:
    """The summary table: every target of every section, with its result."""
    lines = ["| benchmark | target | result |", "|---|---|---|"]
    for name, section in blocks:
        link = f"[{name}](#{anchor(heading(section))})"
        earlier = " *(earlier run)*" if is_kept_from_before(section) else ""
        rows = targets(section)
        if not rows:
            reason = "not run yet" if earlier else "no target table in its section"
            lines.append(f"| {link} | — | {reason} |")
        for row in rows:
            lines.append(f"| {link} | {cell(row.target)} | {cell(row.result)}{earlier} |")
    return lines


def render(header: list[str], blocks: list[tuple[str, str]]) -> str:
    """The whole file: header, summary, then each block between its markers."""
    parts = [*header, "", "## Summary", "", *summary(blocks), ""]
    for name, section in blocks:
        parts += [f"<!-- bench:{name} -->", section.strip("\n"), f"<!-- /bench:{name} -->", ""]
    return "\n".join(parts).rstrip("\n") + "\n"
