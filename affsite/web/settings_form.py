"""The settings page as data: which fields, in which groups, showing which values.

The page is generated from ``affsite.settings.SCHEMA``; nothing here knows individual
settings except the App Secret's write-only rules:

* its value is never put into the page; only a mask with its last 4 characters;
* a blank App Secret field keeps the stored secret; the "remove" box clears it;
* after a failed save it is not echoed back either (the owner types it again).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from affsite.settings import (
    GROUPS,
    SCHEMA,
    Field,
    Group,
    SettingsState,
    form_text,
    mask_secret,
)

CLEAR_SECRET = "clear_app_secret"  # noqa: S105 (a form field name)


@dataclass(frozen=True)
class FieldView:
    field: Field
    value: str  # text for the input ("" for the secret)
    error: str | None = None
    env_var: str | None = None  # set by this environment variable: shown read-only
    masked: str = ""  # for the secret: bullets + last 4 characters of what is in force

    @property
    def input_id(self) -> str:
        return f"f-{self.field.name}"


@dataclass(frozen=True)
class GroupView:
    group: Group
    fields: tuple[FieldView, ...]


def build(
    state: SettingsState,
    submitted: Mapping[str, str] | None = None,
    errors: Mapping[str, str] | None = None,
) -> list[GroupView]:
    """Field views grouped for the page. ``submitted`` (the form just posted) replaces the
    stored values so that what the owner typed is kept when the save failed.
    """
    errors = errors or {}
    problems = {p.field: p.message for p in state.problems}
    views: list[GroupView] = []
    for group in GROUPS:
        members: list[FieldView] = []
        for f in (f for f in SCHEMA if f.group == group.key):
            env_var = state.env_fields.get(f.name)
            current = getattr(state.settings, f.name)
            if f.secret:
                value = ""
            elif submitted is not None and f.name in submitted and env_var is None:
                value = submitted[f.name]
            else:
                value = form_text(f.name, current)
            members.append(
                FieldView(
                    field=f,
                    value=value,
                    error=errors.get(f.name) or problems.get(f.name),
                    env_var=env_var,
                    masked=mask_secret(current) if f.secret else "",
                )
            )
        views.append(GroupView(group, tuple(members)))
    return views


def changes_from_form(form: Mapping[str, str], state: SettingsState) -> dict[str, str]:
    """The raw values to save: every posted field that the environment does not control.

    Fields missing from the post are left alone, a blank secret keeps the stored one.
    """
    changes: dict[str, str] = {}
    for f in SCHEMA:
        if f.name in state.env_fields:
            continue
        if f.secret:
            if form.get(CLEAR_SECRET):
                changes[f.name] = ""
            elif form.get(f.name, "").strip():
                changes[f.name] = form[f.name]
        elif f.name in form:
            changes[f.name] = form[f.name]
    return changes
