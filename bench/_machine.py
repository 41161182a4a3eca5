"""The machine a benchmark ran on, described from ``/proc`` and ``platform``: what a reader
needs to compare figures from two runs (absolute figures move with the machine; ratios less).
"""

from __future__ import annotations

import contextlib
import os
import platform
import re
import shutil
import subprocess
from dataclasses import dataclass
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

from bench._nginx import nginx_binary


@dataclass(frozen=True, kw_only=True)
class Machine:
    cpu: str
    cores: int
    usable_cores: int
    memory_gib: float
    python: str
    system: str
    packages: str
    tools: str

    def lines(self) -> list[str]:
        """Markdown list items, one per fact."""
        usable = "" if self.usable_cores == self.cores else f" ({self.usable_cores} usable)"
        return [
            f"- CPU: {self.cpu}, {self.cores} cores{usable}",
            f"- Memory: {self.memory_gib:.1f} GiB",
            f"- Python: {self.python}; {self.packages}",
            f"- OS: {self.system}",
            f"- Tools: {self.tools}",
        ]

    def as_dict(self) -> dict[str, object]:
        return {
            "cpu": self.cpu,
            "cores": self.cores,
            "usable_cores": self.usable_cores,
            "memory_gib": round(self.memory_gib, 1),
            "python": self.python,
            "system": self.system,
            "packages": self.packages,
            "tools": self.tools,
        }


def cpu_model() -> str:
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    return platform.processor() or "unknown CPU"


def memory_gib() -> float:
    with contextlib.suppress(OSError, ValueError, IndexError):
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                return int(line.split()[1]) / 1024 / 1024
    return float("nan")


def os_name() -> str:
    pretty = ""
    with contextlib.suppress(OSError):
        found = re.search(r'^PRETTY_NAME="?([^"\n]*)', Path("/etc/os-release").read_text(), re.M)
        pretty = found[1] if found else ""
    kernel = f"{platform.system()} {platform.release()} {platform.machine()}"
    return f"{pretty}, {kernel}" if pretty else kernel


def package_versions(names: tuple[str, ...] = ("affsite", "Flask", "gunicorn")) -> str:
    found = []
    for name in names:
        with contextlib.suppress(PackageNotFoundError):
            found.append(f"{name} {version(name)}")
    return ", ".join(found)


def tool_versions() -> str:
    """wrk, nginx and taskset as the benchmarks find them (missing ones say so)."""
    parts = []
    if shutil.which("wrk"):
        out = subprocess.run(["wrk", "-v"], capture_output=True, text=True, timeout=10)
        parts.append((out.stdout + out.stderr).split("Copyright")[0].strip() or "wrk")
    else:
        parts.append("no wrk (Python load generator instead)")
    nginx = nginx_binary()
    if nginx:
        out = subprocess.run([nginx, "-v"], capture_output=True, text=True, timeout=10)
        parts.append((out.stderr or out.stdout).strip().replace("nginx version: ", ""))
    else:
        parts.append("no nginx")
    parts.append("taskset" if shutil.which("taskset") else "no taskset (nothing pinned)")
    return ", ".join(parts)


def describe() -> Machine:
    usable = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else 0
    return Machine(
        cpu=cpu_model(),
        cores=os.cpu_count() or 0,
        usable_cores=usable or (os.cpu_count() or 0),
        memory_gib=memory_gib(),
        python=f"{platform.python_implementation()} {platform.python_version()}",
        system=os_name(),
        packages=package_versions(),
        tools=tool_versions(),
    )
