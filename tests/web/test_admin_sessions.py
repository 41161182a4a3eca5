"""Admin sessions recorded on the server: live until ended, replaced or too old."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from affsite.clock import FakeClock
from affsite.web.admin_sessions import AdminSessions

TWELVE_HOURS = 12 * 3600.0


@pytest.fixture
def sessions(tmp_path: Path, clock: FakeClock) -> AdminSessions:
    return AdminSessions(tmp_path / "sessions.sqlite3", lifetime=TWELVE_HOURS, clock=clock)


def rows(sessions: AdminSessions) -> int:
    with sqlite3.connect(sessions.db.path) as db:
        (count,) = db.execute("SELECT COUNT(*) FROM sessions").fetchone()
    return int(count)


def test_a_started_session_is_live_until_it_is_ended(sessions: AdminSessions) -> None:
    token = sessions.start("pw1")
    assert sessions.is_live(token, "pw1")
    sessions.end(token)
    assert not sessions.is_live(token, "pw1")
    sessions.end(token)  # ending it twice is harmless


def test_tokens_are_random_and_unguessable(sessions: AdminSessions) -> None:
    tokens = {sessions.start("pw1") for _ in range(20)}
    assert len(tokens) == 20
    assert all(len(token) >= 40 for token in tokens)
    assert not sessions.is_live("", "pw1")
    assert not sessions.is_live("made-up", "pw1")


def test_a_session_belongs_to_the_password_it_was_opened_with(sessions: AdminSessions) -> None:
    token = sessions.start("pw1")
    assert not sessions.is_live(token, "pw2")


def test_a_session_dies_at_the_end_of_its_lifetime(
    sessions: AdminSessions, clock: FakeClock
) -> None:
    token = sessions.start("pw1")
    clock.advance(TWELVE_HOURS - 1)
    assert sessions.is_live(token, "pw1")
    clock.advance(1)
    assert not sessions.is_live(token, "pw1")


def test_dead_sessions_are_cleared_out_when_a_new_one_starts(
    sessions: AdminSessions, clock: FakeClock
) -> None:
    sessions.start("pw1")
    old_password = sessions.start("pw0")
    clock.advance(TWELVE_HOURS)
    kept = sessions.start("pw1")
    assert rows(sessions) == 1
    assert sessions.is_live(kept, "pw1")
    assert not sessions.is_live(old_password, "pw0")


def test_sessions_are_shared_by_every_instance_on_one_file(
    sessions: AdminSessions, clock: FakeClock
) -> None:
    other = AdminSessions(sessions.db.path, lifetime=TWELVE_HOURS, clock=clock)
    token = sessions.start("pw1")
    assert other.is_live(token, "pw1")
    other.end(token)
    assert not sessions.is_live(token, "pw1")
