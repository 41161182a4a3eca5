"""A ban announced by the gateway stops every process until it ends."""

from __future__ import annotations

from pathlib import Path

import pytest

from affsite.cache import CacheStores, open_stores
from affsite.clock import FakeClock
from affsite.limits import Banned, BanState


def test_a_ban_stops_every_process_until_it_ends(tmp_path: Path, clock: FakeClock) -> None:
    first, second = open_stores(tmp_path / "cache"), open_stores(tmp_path / "cache")
    BanState(first.ctl, clock).ban(30, "this ban will last 30 seconds")
    with pytest.raises(Banned) as refused:
        BanState(second.ctl, clock).check()
    assert refused.value.reason == "banned"
    clock.advance(31)
    BanState(second.ctl, clock).check()
    first.close()
    second.close()


def test_a_ban_lasts_as_announced_even_when_the_clock_goes_back(
    stores: CacheStores, clock: FakeClock
) -> None:
    bans = BanState(stores.ctl, clock)
    bans.ban(30, "this ban will last 30 seconds")
    clock.advance(-86_400)  # the machine's clock is corrected by a day
    with pytest.raises(Banned):
        bans.check()
    clock.advance(31)
    bans.check()  # over after its 30 s, not after a day


def test_a_shorter_ban_does_not_cut_a_longer_one(stores: CacheStores, clock: FakeClock) -> None:
    bans = BanState(stores.ctl, clock)
    until = bans.ban(120, "two minutes")
    assert bans.ban(5, "five seconds") == until
    clock.advance(60)
    with pytest.raises(Banned):
        bans.check()
