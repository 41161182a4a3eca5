"""Building blocks shared by the catalog tests and their worker processes."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import replace
from typing import Any

import httpx

from affsite.catalog import ClientFactory, ProductAnswer, Status, client_factory
from affsite.catalog.background import Job
from affsite.settings import Settings

# Tracking ids the test sandboxes accept (links are made only for registered ones).
TRACKING_IDS = ("affsite_demo", "default", "site_two")

DAY = 86_400


class SettingsBox:
    """A settings provider whose value a test can change, like saving the settings page."""

    def __init__(self, **values: Any) -> None:
        self.value = Settings(**values)

    def __call__(self) -> Settings:
        return self.value

    def save(self, **changes: Any) -> None:
        self.value = replace(self.value, **changes)


def transport_factory(transport: httpx.BaseTransport | None) -> ClientFactory:
    """A client factory sending every call through ``transport`` (None: the network)."""
    return client_factory(transport)


def statuses(answers: Iterable[ProductAnswer]) -> set[Status]:
    return {a.status for a in answers}


class Deferred:
    """A refresher that keeps jobs until the test runs them (a background thread, paused)."""

    def __init__(self) -> None:
        self.jobs: list[tuple[list[str], Job]] = []

    def submit(self, group: str, ids: Sequence[str], job: Job) -> bool:
        self.jobs.append((list(ids), job))
        return True

    def run(self) -> None:
        jobs, self.jobs = self.jobs, []
        for ids, job in jobs:
            job(ids)

    def close(self, timeout: float = 5.0) -> None:
        return None
