"""A separate worker process for the multi-process catalog tests.

    python worker.py '<json job>'

The job names the cache folder, the sandbox server's /sync URL, settings, a start file to wait
for (so all workers go at once) and what to do; the result is printed as one JSON line.
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path
from typing import Any

from affsite.aliexpress.sandbox import DEMO_APP_KEY, DEMO_APP_SECRET
from affsite.cache import open_stores
from affsite.catalog import Catalog, client_factory
from affsite.settings import Settings


def main(job: dict[str, Any]) -> dict[str, Any]:
    settings = Settings(
        app_key=DEMO_APP_KEY,
        app_secret=DEMO_APP_SECRET,
        tracking_id="affsite_demo",
        api_url=job["api_url"],
        **job.get("settings", {}),
    )

    catalog = Catalog(
        settings=lambda: settings,
        stores=open_stores(Path(job["cache_dir"])),
        client_factory=client_factory(),
        poll_interval=0.02,
    )
    if job.get("ready_file"):
        Path(job["ready_file"]).touch()
    start = Path(job["start_file"]) if job.get("start_file") else None
    deadline = time.monotonic() + 20
    while start is not None and not start.exists() and time.monotonic() < deadline:
        time.sleep(0.005)
    answers = []
    try:
        for ids in job["requests"]:
            answers.extend(catalog.products(ids, purpose=job.get("purpose", "page")))
    finally:
        catalog.close()
    return {
        "statuses": [a.status for a in answers],
        "reasons": [a.reason for a in answers],
    }


if __name__ == "__main__":
    print(json.dumps(main(json.loads(sys.argv[1]))))
