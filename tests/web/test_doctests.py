"""The examples in the web layer's docstrings are true."""

from __future__ import annotations

import doctest
from types import ModuleType

import pytest

from affsite import money
from affsite.web import security, templating


@pytest.mark.parametrize("module", [money, security, templating])
def test_docstring_examples(module: ModuleType) -> None:
    result = doctest.testmod(module)
    assert result.attempted > 0
    assert result.failed == 0
