"""A worker killed mid-write leaves no torn value behind (hardening.md 2.1 and 2.5).

A separate process writes checksummed product-sized values (500 B inline, 50 KB as files)
through the real stores as fast as it can and is SIGKILLed at a random moment, several times.
Afterwards every value that can be read is whole, the stores open without quarantining
anything, and diskcache's own check finds nothing left to repair once orphans are removed.
"""

from __future__ import annotations

import hashlib
import random
import signal
import subprocess
import sys
import textwrap
import time
import warnings
from pathlib import Path

import pytest

from affsite.cache import open_data_cache, open_stores

KEYS = 40
# What a kill may leave behind and diskcache repairs: never a damaged database.
REPAIRABLE = {"UnknownFileWarning", "EmptyDirWarning"}
TRIALS = 6

_WRITER = textwrap.dedent(
    """
    import hashlib, sys, time
    from pathlib import Path
    from affsite.cache import open_stores

    stores = open_stores(Path(sys.argv[1]))
    end = time.monotonic() + 30  # bounded even if nobody kills us
    n = 0
    while time.monotonic() < end and n < 1_000_000:
        size = 50_000 if n % 3 == 0 else 500
        blob = (str(n) * size)[:size]
        value = {"n": n, "blob": blob, "sha": hashlib.sha256(blob.encode()).hexdigest()}
        stores.data.set(f"k{n % %(keys)d}", value)
        if n == 0:
            print("ready", flush=True)
        n += 1
    """
).replace("%(keys)d", str(KEYS))


@pytest.mark.slow
def test_values_survive_a_writer_killed_mid_write(tmp_path: Path) -> None:
    cache_dir = tmp_path / "cache"
    rng = random.Random(11)
    for _ in range(TRIALS):
        writer = subprocess.Popen(
            [sys.executable, "-c", _WRITER, str(cache_dir)],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        try:
            assert writer.stdout is not None
            assert writer.stdout.readline().strip() == "ready"
            time.sleep(rng.uniform(0.05, 0.3))  # let it get somewhere mid-stream
            writer.send_signal(signal.SIGKILL)
            writer.wait(timeout=30)
        finally:
            if writer.poll() is None:
                writer.kill()
                writer.wait(timeout=30)
            writer.stdout.close()  # type: ignore[union-attr]
            writer.stderr.close()  # type: ignore[union-attr]
        assert writer.returncode == -signal.SIGKILL

    stores = open_stores(cache_dir)
    try:
        assert not stores.health.degraded
        assert not stores.health.quarantined
        found = 0
        for n in range(KEYS):
            value = stores.data.get(f"k{n}")
            if value is None:
                continue
            found += 1
            assert hashlib.sha256(value["blob"].encode()).hexdigest() == value["sha"], n
        assert found > 0
        assert stores.health.read_errors == 0
    finally:
        stores.close()

    cache = open_data_cache(cache_dir / "data")
    try:
        with warnings.catch_warnings(record=True) as repaired:
            warnings.simplefilter("always")
            cache.check(fix=True)  # removes orphan value files and empty folders a kill leaves
        assert all(w.category.__name__ in REPAIRABLE for w in repaired), repaired
        with warnings.catch_warnings(record=True) as left:
            warnings.simplefilter("always")
            cache.check()
        assert left == [], [str(w.message) for w in left]
    finally:
        cache.close()
