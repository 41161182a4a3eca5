"""Where refreshes run: at once in the caller's thread, or in one background thread."""

from __future__ import annotations

import logging
import threading

import pytest

from affsite.catalog.background import InlineRefresher, ThreadRefresher


def test_the_background_refresher_queues_each_id_once() -> None:
    refresher = ThreadRefresher()
    release = threading.Event()
    ran: list[list[str]] = []

    def job(ids: list[str]) -> None:
        ran.append(ids)
        release.wait(10)

    assert refresher.submit("ns", ["1", "2"], job)
    assert not refresher.submit("ns", ["2", "1"], job)
    assert refresher.submit("ns", ["2", "3"], job)
    release.set()
    refresher.close(timeout=10)
    assert ran == [["1", "2"], ["3"]]


def test_a_full_queue_drops_the_job_for_a_later_view_to_ask_again() -> None:
    refresher = ThreadRefresher(max_pending=1)
    release = threading.Event()
    started = threading.Event()

    def job(ids: list[str]) -> None:
        started.set()
        release.wait(10)

    assert refresher.submit("ns", ["1"], job)
    assert started.wait(10)  # the thread holds "1"; the queue is empty again
    assert refresher.submit("ns", ["2"], job)
    assert not refresher.submit("ns", ["3"], job), "the queue holds one job"
    release.set()
    refresher.close(timeout=10)


def test_a_failing_refresh_never_reaches_the_answer_already_given(
    caplog: pytest.LogCaptureFixture,
) -> None:
    def broken(ids: list[str]) -> None:
        raise RuntimeError("gateway exploded")

    with caplog.at_level(logging.ERROR):
        assert InlineRefresher().submit("ns", ["1"], broken)
    assert "refresh of 1 product(s) failed" in caplog.text
    assert not InlineRefresher().submit("ns", [], broken)
