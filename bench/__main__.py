"""``python -m bench``: run every benchmark and write ``docs/benchmarks.md``.

Usage::

    .venv/bin/python -m bench                    # every bench/bench_*.py, then the file
    .venv/bin/python -m bench --quick            # a smoke run: small sizes, short loads
    .venv/bin/python -m bench --only nginx cold  # these sections; the others stay as they are
    .venv/bin/python -m bench --output /tmp/b.md --json

Each script runs in its own process, one after the other (they measure the machine, so never
two at once); which one and for how long is shown on stderr, with the script's own progress.
The file gets a header (what it is, the machine, the date, the commands), a summary of every
target with its result, and each script's section.

The contract every ``bench/bench_NAME.py`` follows:

* ``python bench/bench_NAME.py [--quick]`` prints ONE markdown section to stdout, starting
  with a ``## `` heading (which names ``bench/bench_NAME.py``), writes its progress to stderr,
  and exits 0. ``--quick`` is a smoke run of well under a minute whose figures are not quoted.
* The section holds a table whose header row is exactly ``| target | result |``: one row per
  promise the benchmark checks, its result in words and figures. The rows of every section
  make the summary at the top of the file.
* It talks to 127.0.0.1 only, starts and stops its servers by process id on free ports, and
  bounds every loop by count and by time.

When a script fails (non-zero exit, a timeout, or no section on stdout) its section from the
existing file is kept, marked as not re-run with the error, and this command exits 1 once every
other script has run. A section without a ``| target | result |`` table is written, said on
stderr, and also makes the exit status 1.
"""

from __future__ import annotations

import argparse
import collections
import json
import os
import signal
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from bench import _document as document
from bench._machine import Machine, describe

ROOT = Path(__file__).resolve().parent.parent
BENCH = Path(__file__).resolve().parent
DEFAULT_OUTPUT = ROOT / "docs" / "benchmarks.md"
# Sections in reading order: what a visitor waits for first, then what a site owner pays.
ORDER = ("resolve", "catalog", "redis_index", "shortcodes", "embeds", "nginx", "cold", "memory")
HEARTBEAT_SECONDS = 30.0
PYTHON = ".venv/bin/python"


@dataclass
class Outcome:
    name: str
    script: Path
    status: str = "not selected"  # "ran", "failed", "not selected"
    seconds: float = 0.0
    error: str = ""
    section: str = ""
    warnings: list[str] = field(default_factory=list)


def discover(folder: Path) -> dict[str, Path]:
    """NAME -> bench_NAME.py in ``folder``, in ``ORDER`` then alphabetically."""
    found = {path.stem.removeprefix("bench_"): path for path in folder.glob("bench_*.py")}
    rank = {name: n for n, name in enumerate(ORDER)}
    return dict(sorted(found.items(), key=lambda item: (rank.get(item[0], len(ORDER)), item[0])))


def _display(path: Path) -> str:
    return str(path.relative_to(ROOT)) if path.is_relative_to(ROOT) else str(path)


def run_script(outcome: Outcome, *, quick: bool, timeout: float, position: str) -> None:
    """Run one script, stream its stderr (prefixed) to ours, and fill in ``outcome``."""
    command = [sys.executable, str(outcome.script), *(["--quick"] if quick else [])]
    label = f"[bench {position} {outcome.name}]"
    print(f"{label} {' '.join([PYTHON, _display(outcome.script), *command[2:]])}", file=sys.stderr)
    env = dict(os.environ)
    env["PYTHONPATH"] = str(ROOT) + os.pathsep + env.get("PYTHONPATH", "")
    started = time.monotonic()
    process = subprocess.Popen(
        command,
        cwd=ROOT,
        env=env,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        start_new_session=True,  # its servers share its process group: stopped with it
    )
    tail: collections.deque[str] = collections.deque(maxlen=30)
    out: list[bytes] = []
    heard = [started]  # when the script last wrote progress

    def relay() -> None:
        assert process.stderr is not None
        for raw in process.stderr:
            line = raw.decode(errors="replace").rstrip()
            tail.append(line)
            heard[0] = time.monotonic()
            print(f"{label} {heard[0] - started:4.0f}s {line}", file=sys.stderr)

    def collect() -> None:
        assert process.stdout is not None
        out.append(process.stdout.read())

    readers = [threading.Thread(target=relay), threading.Thread(target=collect)]
    for reader in readers:
        reader.start()
    timed_out = _wait(process, started, timeout, label, heard)
    for reader in readers:
        reader.join(timeout=30)
    outcome.seconds = time.monotonic() - started
    section = b"".join(out).decode(errors="replace").strip("\n")
    errors = [line for line in tail if line.strip()]
    if timed_out:
        outcome.status, outcome.error = "failed", f"no result within {timeout:.0f} s"
    elif process.returncode != 0:
        last = errors[-1] if errors else "no message"
        outcome.status, outcome.error = "failed", f"exit status {process.returncode}: {last}"
    elif not section.startswith("## "):
        outcome.status = "failed"
        outcome.error = "it printed no markdown section (stdout must start with '## ')"
    else:
        outcome.status, outcome.section = "ran", section
        if not document.has_target_table(section):
            outcome.warnings.append(f"its section has no `{document.TARGET_HEADER}` table")
    verdict = "done" if outcome.status == "ran" else f"FAILED ({outcome.error})"
    print(f"{label} {verdict} in {outcome.seconds:.1f} s", file=sys.stderr)
    for warning in outcome.warnings:
        print(f"{label} warning: {warning}", file=sys.stderr)


def _wait(
    process: subprocess.Popen[bytes], started: float, timeout: float, label: str, heard: list[float]
) -> bool:
    """Wait for ``process`` (bounded by ``timeout``), saying it still runs when it has been
    quiet a while; stop its process group when it runs over. True when it had to be stopped."""
    while True:
        try:
            process.wait(timeout=1.0)
            return False
        except subprocess.TimeoutExpired:
            pass
        now = time.monotonic()
        if now - started > timeout:
            break
        if now - heard[0] >= HEARTBEAT_SECONDS:
            print(f"{label} {now - started:4.0f}s still running", file=sys.stderr)
            heard[0] = now
    for sig, grace in ((signal.SIGTERM, 20), (signal.SIGKILL, 10)):
        try:
            os.killpg(process.pid, sig)  # the group this run started for the script
        except ProcessLookupError:
            break
        try:
            process.wait(timeout=grace)
            break
        except subprocess.TimeoutExpired:
            continue
    return True


def _footer(outcome: Outcome, when: str, quick: bool) -> str:
    command = f"{PYTHON} {_display(outcome.script)}" + (" --quick" if quick else "")
    if quick:
        return (
            f"*Smoke run (`--quick`: small sizes, short loads; not figures to quote), {when}, "
            f"{outcome.seconds:.0f} s: `{command}`.*"
        )
    return f"*Ran {when} in {outcome.seconds:.0f} s: `{command}`.*"


def header(machine: Machine, when: str, argv: list[str], names: list[str]) -> list[str]:
    invocation = " ".join([PYTHON, "-m", "bench", *argv])
    lines = [
        "# Benchmarks",
        "",
        "<!-- Written by `python -m bench` from the scripts in bench/; edit those, not this. -->",
        "",
        "What affsite's promises cost on one machine, each measured side by side with a "
        "baseline or a physical limit in the same run, so the ratios matter more than the "
        "absolute figures (they move with the machine and with whatever else it runs). Every "
        "figure comes from a script in `bench/`; the summary below gathers each script's "
        "targets and results.",
        "",
        "Machine:",
        "",
        *machine.lines(),
        "",
        f"Written {when} by `{invocation}`; each section says when it ran.",
        "",
        "Reproduce everything (`wrk`, `nginx-light` and `redis-server` are Debian packages; "
        "without wrk a Python load generator stands in, and its ratios read closer to 1):",
        "",
        "```sh",
        "apt-get install -y wrk nginx-light redis-server",
        f"{PYTHON} -m bench            # every section, then this file",
        f"{PYTHON} -m bench --quick    # a smoke run of every script (figures not to quote)",
        "```",
        "",
        "One section (the others stay as they are), or one script on its own (it prints its "
        "section):",
        "",
        "```sh",
    ]
    width = max(len(name) for name in names) if names else 0
    for name in names:
        lines.append(
            f"{PYTHON} -m bench --only {name.ljust(width)}   # or {PYTHON} bench/bench_{name}.py"
        )
    return [*lines, "```"]


def parse_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m bench", description=(__doc__ or "").split("\n\n")[0]
    )
    parser.add_argument("--quick", action="store_true", help="a smoke run of every script")
    parser.add_argument("--only", nargs="+", metavar="NAME", help="run only these scripts")
    parser.add_argument("--output", type=Path, default=DEFAULT_OUTPUT, help="file to write")
    parser.add_argument("--json", action="store_true", help="print targets and results as JSON")
    parser.add_argument(
        "--timeout", type=float, default=3600.0, help="seconds per script (default 3600)"
    )
    parser.add_argument("--scripts-dir", type=Path, default=BENCH, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if not 1 <= args.timeout <= 6 * 3600:
        parser.error("--timeout must be between 1 and 21600 seconds")
    return args


def select(found: dict[str, Path], only: list[str] | None) -> list[str]:
    """The names to run; an unknown name is an error that lists the known ones."""
    if not only:
        return list(found)
    wanted = [n.removesuffix(".py").removeprefix("bench/").removeprefix("bench_") for n in only]
    unknown = [name for name in wanted if name not in found]
    if unknown:
        raise SystemExit(
            f"python -m bench: no benchmark named {', '.join(unknown)}; "
            f"choose from: {', '.join(found)}"
        )
    return wanted


def main(argv: list[str] | None = None) -> int:
    given = sys.argv[1:] if argv is None else argv
    args = parse_args(given)
    found = discover(args.scripts_dir)
    chosen = select(found, args.only)
    output: Path = args.output
    when = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    outcomes = {name: Outcome(name, path) for name, path in found.items()}
    for n, name in enumerate(chosen, 1):
        run_script(
            outcomes[name], quick=args.quick, timeout=args.timeout, position=f"{n}/{len(chosen)}"
        )

    # Read only now: the sections not re-run are kept as they are at the end of the run.
    previous = document.read_blocks(output.read_text()) if output.exists() else {}
    blocks: list[tuple[str, str]] = []
    for name, outcome in outcomes.items():
        if outcome.status == "ran":
            blocks.append((name, f"{outcome.section}\n\n{_footer(outcome, when, args.quick)}"))
        elif outcome.status == "failed":
            script = _display(outcome.script)
            blocks.append(
                (name, document.mark_not_rerun(previous.get(name), script, when, outcome.error))
            )
        elif name in previous:
            blocks.append((name, previous[name]))
    shown = [arg for arg in given if arg not in ("--json",)]
    machine = describe()
    text = document.render(header(machine, when, shown, list(found)), blocks)
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_text(text)
    print(f"[bench] wrote {output}", file=sys.stderr)

    failed = [o for o in outcomes.values() if o.status == "failed"]
    broken = [o for o in outcomes.values() if o.warnings]
    if args.json:
        print(json.dumps(_as_json(outcomes, blocks, machine, when, args), indent=2))
    for outcome in failed:
        print(f"[bench] {outcome.name} failed: {outcome.error}", file=sys.stderr)
    for outcome in broken:
        print(f"[bench] {outcome.name}: {'; '.join(outcome.warnings)}", file=sys.stderr)
    return 1 if failed or broken else 0


def _as_json(
    outcomes: dict[str, Outcome],
    blocks: list[tuple[str, str]],
    machine: Machine,
    when: str,
    args: argparse.Namespace,
) -> dict[str, object]:
    sections = dict(blocks)
    return {
        "written": when,
        "output": str(args.output),
        "quick": args.quick,
        "machine": machine.as_dict(),
        "sections": [
            {
                "name": name,
                "script": _display(outcome.script),
                "status": outcome.status,
                "seconds": round(outcome.seconds, 1),
                "error": outcome.error or None,
                "warnings": outcome.warnings,
                "kept_from_earlier_run": document.is_kept_from_before(sections.get(name, "")),
                "targets": [
                    {"target": t.target, "result": t.result}
                    for t in document.targets(sections.get(name, ""))
                ],
            }
            for name, outcome in outcomes.items()
        ],
    }


if __name__ == "__main__":
    sys.exit(main())
