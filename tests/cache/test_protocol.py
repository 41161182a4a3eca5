"""Every store offers the whole ``Store`` interface."""

from __future__ import annotations

import inspect

import pytest

from affsite.cache import ControlStore, DiskStore, MemoryStore, NullStore, RedisStore, Store


@pytest.mark.parametrize("store", [DiskStore, ControlStore, MemoryStore, NullStore, RedisStore])
def test_every_store_has_every_method_of_the_protocol(store: type) -> None:
    wanted = {
        name
        for name, member in vars(Store).items()
        if inspect.isfunction(member) and not name.startswith("_")
    }
    assert wanted >= {"get", "set", "add", "delete", "atomic", "not_shared_reason"}
    for name in wanted:
        assert callable(getattr(store, name, None)), name
