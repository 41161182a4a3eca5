"""Private files and folders: owner-only when affsite makes them, untouched when it did not
(issue 8, row 10: a 1777 ``AFFSITE_CACHE_DIR`` lost its sticky bit).
"""

from __future__ import annotations

import logging
import os
import stat
import threading
from pathlib import Path

import pytest

from affsite.files import (
    create_private_file_once,
    ensure_private_dir,
    make_private_file,
    write_private_file,
)


def mode(path: Path) -> int:
    return stat.S_IMODE(path.lstat().st_mode)


@pytest.mark.parametrize("umask", [0o000, 0o022, 0o077], ids=["000", "022", "077"])
def test_folders_it_creates_are_owner_only_parents_included(tmp_path: Path, umask: int) -> None:
    previous = os.umask(umask)
    try:
        made = ensure_private_dir(tmp_path / "a" / "b" / "c")
    finally:
        os.umask(previous)
    assert made == tmp_path / "a" / "b" / "c"
    for folder in (tmp_path / "a", tmp_path / "a" / "b", made):
        assert mode(folder) == 0o700, folder


@pytest.mark.parametrize("existing", [0o1777, 0o755, 0o2770], ids=["sticky-1777", "755", "2770"])
def test_a_folder_it_did_not_create_keeps_its_mode(
    tmp_path: Path, existing: int, caplog: pytest.LogCaptureFixture
) -> None:
    shared = tmp_path / "shared"
    shared.mkdir()
    shared.chmod(existing)
    with caplog.at_level(logging.WARNING, logger="affsite.files"):
        ensure_private_dir(shared)
        ensure_private_dir(shared / "mine")
        ensure_private_dir(shared)
    assert mode(shared) == existing
    assert mode(shared / "mine") == 0o700
    warnings = [r.getMessage() for r in caplog.records if str(shared) in r.getMessage()]
    assert len(warnings) == 1, "said once per process"
    assert "open to other users" in warnings[0]


def test_a_file_in_the_way_is_an_error(tmp_path: Path) -> None:
    (tmp_path / "taken").write_text("x")
    with pytest.raises(OSError):
        ensure_private_dir(tmp_path / "taken")
    with pytest.raises(OSError):
        ensure_private_dir(tmp_path / "taken" / "below")


def test_workers_creating_the_same_folder_at_once_all_succeed(tmp_path: Path) -> None:
    target = tmp_path / "x" / "y" / "z"
    errors: list[BaseException] = []
    start = threading.Barrier(8)

    def make() -> None:
        start.wait(timeout=10)
        try:
            ensure_private_dir(target)
        except BaseException as error:
            errors.append(error)

    threads = [threading.Thread(target=make) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=10)
    assert errors == []
    assert mode(target) == 0o700


def test_make_private_file_creates_or_restricts_but_never_follows_links(tmp_path: Path) -> None:
    previous = os.umask(0)
    try:
        make_private_file(tmp_path / "new")
    finally:
        os.umask(previous)
    assert mode(tmp_path / "new") == 0o600 and (tmp_path / "new").read_bytes() == b""

    old = tmp_path / "old"
    old.write_text("kept")
    old.chmod(0o644)
    make_private_file(old)
    assert mode(old) == 0o600 and old.read_text() == "kept"

    make_private_file(tmp_path / "absent", create=False)
    assert not (tmp_path / "absent").exists()

    target = tmp_path / "elsewhere"
    target.write_text("x")
    target.chmod(0o644)
    (tmp_path / "link").symlink_to(target)
    make_private_file(tmp_path / "link")
    assert mode(target) == 0o644, "a link is not ours to follow"


def test_private_files_are_replaced_atomically_and_leave_no_temp(tmp_path: Path) -> None:
    path = tmp_path / "settings.json"
    write_private_file(path, b"one")
    write_private_file(path, b"two")
    assert path.read_bytes() == b"two" and mode(path) == 0o600
    assert [p.name for p in tmp_path.iterdir()] == ["settings.json"]


def test_create_once_keeps_the_first_file(tmp_path: Path) -> None:
    path = tmp_path / "secret_key"
    assert create_private_file_once(path, b"first")
    assert not create_private_file_once(path, b"second")
    assert path.read_bytes() == b"first" and mode(path) == 0o600
    assert [p.name for p in tmp_path.iterdir()] == ["secret_key"]


@pytest.mark.skipif(os.geteuid() != 0, reason="giving a file to another user needs root")
def test_make_private_file_leaves_other_users_files_alone(tmp_path: Path) -> None:
    theirs = tmp_path / "cache.db"
    theirs.write_text("x")
    theirs.chmod(0o644)
    os.chown(theirs, 65534, 65534)
    make_private_file(theirs)
    assert mode(theirs) == 0o644
