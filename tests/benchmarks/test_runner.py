"""``python -m bench``: it runs the benchmark scripts and writes docs/benchmarks.md with a
header about the machine, a summary of every target, and one section per script; a script that
fails keeps its earlier section, marked as not re-run, and the command exits 1.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from bench import _document

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[2]


def run_bench(*args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("AFFSITE_")}
    env["PYTHONPATH"] = str(ROOT) + os.pathsep + env.get("PYTHONPATH", "")
    return subprocess.run(
        [sys.executable, "-m", "bench", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=90,
    )


def test_a_quick_run_of_one_script_writes_header_summary_and_its_section(tmp_path: Path) -> None:
    output = tmp_path / "benchmarks.md"

    done = run_bench("--quick", "--only", "resolve", "--output", str(output), "--json")

    assert done.returncode == 0, done.stderr
    assert "[bench 1/1 resolve]" in done.stderr  # progress: which script, how long
    text = output.read_text()
    assert text.startswith("# Benchmarks\n")
    for fact in ("- CPU: ", "- Memory: ", "- Python: ", "- OS: ", "- Tools: "):
        assert fact in text
    assert ".venv/bin/python -m bench " in text  # the command that reproduces everything
    assert ".venv/bin/python -m bench --only resolve" in text  # and the one for this section
    summary = text.split("## Summary\n", 1)[1].split("<!-- bench:", 1)[0]
    rows = [line for line in summary.splitlines() if line.startswith("| [resolve](#")]
    blocks = _document.read_blocks(text)
    assert list(blocks) == ["resolve"]
    section = blocks["resolve"]
    assert section.startswith("## Resolver")
    assert "`bench/bench_resolve.py`" in section.splitlines()[0]
    assert "*Smoke run (`--quick`" in section
    targets = _document.targets(section)
    assert targets and len(rows) == len(targets)
    assert all(t.result in row for t, row in zip(targets, rows, strict=True))
    report = json.loads(done.stdout)
    (resolve,) = [s for s in report["sections"] if s["name"] == "resolve"]
    assert resolve["status"] == "ran"
    assert [t["target"] for t in resolve["targets"]] == [t.target for t in targets]


GOOD = """
import sys
print("progress", file=sys.stderr)
print("## Good news (`bench/bench_good.py`)")
print()
print("| target | result |")
print("|---|---|")
print("| answers fast | 3 ms: met |")
"""
BAD = """
import sys
print("half a section")
sys.exit("boom: the server did not start")
"""
EARLIER = """# Benchmarks

## Summary

<!-- bench:bad -->
## Bad news (`bench/bench_bad.py`)

| target | result |
|---|---|
| never fails | it did once: met |
<!-- /bench:bad -->
"""


def test_a_failing_script_keeps_its_earlier_section_marked_and_the_run_exits_1(
    tmp_path: Path,
) -> None:
    scripts = tmp_path / "scripts"
    scripts.mkdir()
    (scripts / "bench_good.py").write_text(GOOD)
    (scripts / "bench_bad.py").write_text(BAD)
    output = tmp_path / "benchmarks.md"
    output.write_text(EARLIER)

    done = run_bench("--scripts-dir", str(scripts), "--output", str(output))

    assert done.returncode == 1
    assert "bad failed: exit status 1: boom: the server did not start" in done.stderr
    blocks = _document.read_blocks(output.read_text())
    assert set(blocks) == {"good", "bad"}
    bad = blocks["bad"]
    assert bad.startswith("## Bad news")
    assert "> **Not re-run**" in bad and "boom: the server did not start" in bad
    assert "| never fails | it did once: met |" in bad  # the earlier figures are kept
    summary = output.read_text().split("<!-- bench:", 1)[0]
    assert "| never fails | it did once: met *(earlier run)* |" in summary
    assert "| answers fast | 3 ms: met |" in summary


def test_an_unknown_name_is_refused_with_the_known_ones(tmp_path: Path) -> None:
    done = run_bench("--only", "nosuch", "--output", str(tmp_path / "b.md"))

    assert done.returncode != 0
    assert "no benchmark named nosuch; choose from: resolve" in done.stderr
    assert not (tmp_path / "b.md").exists()


def test_a_file_written_before_the_markers_is_read_by_its_headings() -> None:
    legacy = (
        "# Benchmarks\n\nintro\n\n## Resolver (`bench/bench_resolve.py`)\n\nfigures\n\n"
        "## Warm embeds (`bench/bench_embeds.py`)\n\n| a | b |\n\n### Before\n\nmore\n"
    )

    blocks = _document.read_blocks(legacy)

    assert blocks == {
        "resolve": "## Resolver (`bench/bench_resolve.py`)\n\nfigures",
        "embeds": "## Warm embeds (`bench/bench_embeds.py`)\n\n| a | b |\n\n### Before\n\nmore",
    }
