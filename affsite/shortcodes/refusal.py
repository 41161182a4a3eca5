"""The reason a shortcode cannot be drawn, raised while its attributes are read.

Readers raise :class:`Refusal` at the first thing wrong; ``interpret`` turns it into a
:class:`~affsite.shortcodes.problems.Problem` for the author.

>>> from affsite.render.choices import Theme
>>> choice("theme", " Dark ", Theme)
<Theme.DARK: 'dark'>
>>> choice("theme", "pink", Theme)
Traceback (most recent call last):
...
affsite.shortcodes.refusal.Refusal: unknown theme "pink"; use light, dark, auto
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from enum import StrEnum
from typing import TypeVar

from affsite.shortcodes.problems import shorten

__all__ = ["Refusal", "choice"]

E = TypeVar("E", bound=StrEnum)


class Refusal(ValueError):
    """Why a shortcode cannot be drawn, in words for the author."""


def choice(name: str, value: str, choices: type[E]) -> E:
    """The member of ``choices`` that ``value`` names, ignoring case and surrounding spaces.

    :raise Refusal: ``value`` names none of them.
    """
    member: E | None = _by_name(choices).get(value.strip().lower())
    if member is not None:
        return member
    allowed = ", ".join(member.value for member in choices)
    raise Refusal(f'unknown {name} "{shorten(value, 40)}"; use {allowed}')


@functools.cache
def _by_name(choices: type[E]) -> Mapping[str, E]:
    return {member.value.lower(): member for member in choices}
