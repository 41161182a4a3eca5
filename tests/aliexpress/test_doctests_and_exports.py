"""Doctests of the pure functions run with the suite; the package's public names are stable."""

from __future__ import annotations

import doctest
from types import ModuleType

import pytest

import affsite.aliexpress
from affsite import public_json
from affsite.aliexpress import client, errors, models, signing


@pytest.mark.parametrize("module", [signing, models, errors, client, public_json])
def test_doctests(module: ModuleType) -> None:
    failures, tried = doctest.testmod(module, optionflags=doctest.ELLIPSIS)
    assert tried > 0
    assert failures == 0


def test_exported_names_exist_and_are_listed() -> None:
    public = {name for name in vars(affsite.aliexpress) if not name.startswith("_")}
    modules = {"client", "errors", "models", "signing", "sandbox", "annotations"}
    assert set(affsite.aliexpress.__all__) == public - modules
