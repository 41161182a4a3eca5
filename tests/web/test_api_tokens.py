"""API tokens: random, kept only as digests in an owner-only file, revocable in every process."""

from __future__ import annotations

import hashlib
import stat
from pathlib import Path

import pytest

from affsite.clock import FakeClock
from affsite.web.api_tokens import MAX_TOKENS, ApiTokens, TooManyTokens
from affsite.web.private_db import AuthStoreError


@pytest.fixture
def tokens(tmp_path: Path, clock: FakeClock) -> ApiTokens:
    return ApiTokens(tmp_path / "api_tokens.sqlite3", clock=clock)


def test_a_new_token_is_long_random_and_verifies(tokens: ApiTokens, clock: FakeClock) -> None:
    made, token = tokens.create("  build\nserver ")
    assert token.startswith("affsite_") and len(token) >= 40
    assert made.label == "build server" and made.created == clock()
    assert tokens.verify(token) == made
    assert tokens.create("x")[1] != token


def test_only_a_digest_is_stored(tokens: ApiTokens, tmp_path: Path) -> None:
    _, token = tokens.create("ci")
    stored = b"".join(path.read_bytes() for path in tmp_path.iterdir())
    assert token.encode() not in stored
    assert token.removeprefix("affsite_").encode() not in stored
    assert hashlib.sha256(token.encode()).hexdigest().encode() in stored
    mode = stat.S_IMODE((tmp_path / "api_tokens.sqlite3").stat().st_mode)
    assert mode == 0o600


@pytest.mark.parametrize("presented", ["", "affsite_", "x" * 5000])
def test_anything_else_does_not_verify(tokens: ApiTokens, presented: str) -> None:
    tokens.create("ci")
    assert tokens.verify(presented) is None


def test_a_revoked_token_no_longer_verifies_in_any_process(
    tokens: ApiTokens, tmp_path: Path, clock: FakeClock
) -> None:
    made, token = tokens.create("ci")
    kept, other = tokens.create("cms")
    another_worker = ApiTokens(tmp_path / "api_tokens.sqlite3", clock=clock)
    assert another_worker.verify(token) == made
    assert tokens.revoke(made.id) == made
    assert another_worker.verify(token) is None
    assert another_worker.verify(other) == kept
    assert tokens.revoke(made.id) is None  # already gone
    assert tokens.listed() == (kept,)


def test_tokens_are_listed_oldest_first(tokens: ApiTokens, clock: FakeClock) -> None:
    first, _ = tokens.create("a")
    clock.advance(10)
    second, _ = tokens.create("b")
    assert tokens.listed() == (first, second)
    assert first.created_utc.endswith(" UTC")


def test_there_is_a_cap(tokens: ApiTokens) -> None:
    for number in range(MAX_TOKENS):
        tokens.create(str(number))
    with pytest.raises(TooManyTokens):
        tokens.create("one more")
    assert len(tokens.listed()) == MAX_TOKENS


def test_an_unreadable_file_lets_nobody_in(tmp_path: Path, clock: FakeClock) -> None:
    folder = tmp_path / "not-a-folder"
    folder.write_text("")
    broken = ApiTokens(folder / "api_tokens.sqlite3", clock=clock)
    with pytest.raises(AuthStoreError):
        broken.verify("affsite_x")
