"""The settings a site owner edits on /admin/settings.

``Settings`` is the contract every layer reads (field names and types are stable). Around it:

* ``SCHEMA`` (in ``affsite.settings_schema``): one ``Field`` per setting (type, label, help
  text, default, bounds or choices, environment variable). It drives validation (in
  ``affsite.settings_values``), the admin form and the defaults. Both are re-exported here.
* ``SettingsStore``: the JSON file ``<instance>/settings.json`` (mode 0600, replaced
  atomically), read per request so a save reaches every worker process without a restart,
  with ``AFFSITE_*`` environment variables taking precedence over stored values.
* ``get_settings()`` / ``settings_store()`` for code running inside a Flask request. Layers
  below the catalog never import Flask: they are handed ``store.load`` as a
  ``Callable[[], Settings]``.

Flask is imported lazily inside the two accessors so that importing ``Settings`` stays free of
web dependencies.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import logging
import os
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from affsite.errors import AffsiteError, SettingsError
from affsite.files import ensure_private_dir, write_private_file
from affsite.settings_schema import (
    CREDENTIAL_FIELDS,
    CURRENCIES,
    DEFAULT_API_URL,
    DEFAULTS,
    ENV_VARS,
    FIELDS,
    GROUPS,
    LANGUAGES,
    MAX_FEATURED_PRODUCTS,
    SCHEMA,
    SIGN_METHODS,
    Field,
    Group,
    Settings,
)
from affsite.settings_values import (
    cross_check,
    form_text,
    mask_secret,
    number_text,
    parse_value,
    to_json,
    validate,
)

if TYPE_CHECKING:
    from flask import Flask

__all__ = [
    "CREDENTIAL_FIELDS",
    "CURRENCIES",
    "DEFAULTS",
    "DEFAULT_API_URL",
    "ENV_VARS",
    "EXTENSION_KEY",
    "FIELDS",
    "GROUPS",
    "LANGUAGES",
    "MAX_FEATURED_PRODUCTS",
    "SCHEMA",
    "SETTINGS_FILE",
    "SIGN_METHODS",
    "Field",
    "Group",
    "Problem",
    "Settings",
    "SettingsState",
    "SettingsStorageError",
    "SettingsStore",
    "cross_check",
    "form_text",
    "get_settings",
    "init_app",
    "mask_secret",
    "number_text",
    "parse_value",
    "settings_store",
    "to_json",
    "validate",
]

log = logging.getLogger(__name__)

SETTINGS_FILE = "settings.json"
EXTENSION_KEY = "affsite.settings"


class SettingsStorageError(AffsiteError, OSError):
    """The settings file could not be written; the previous settings stay in force."""

    fix = (
        "Make sure the instance folder exists, is writable by the affsite user and the disk "
        "is not full, then save again."
    )


# --- the store --------------------------------------------------------------------------


@dataclass(frozen=True)
class Problem:
    """A setting that is not as it should be; ``message`` never contains a secret."""

    field: str  # a setting's name, or "settings.json" when the whole file is unreadable
    message: str
    source: Literal["environment", "file"]


@dataclass(frozen=True)
class SettingsState:
    """One consistent reading of the settings."""

    settings: Settings  # what the app uses: stored values with environment overrides
    stored: Settings  # the file alone (defaults for anything missing or invalid)
    env_fields: Mapping[str, str]  # field name -> environment variable now in force
    problems: tuple[Problem, ...] = field(default=())

    def missing_fields(self) -> list[str]:
        """Credentials not set (the app runs in demo mode without App Key and Secret)."""
        return [name for name in CREDENTIAL_FIELDS if not getattr(self.settings, name)]

    def problem_fields(self) -> list[str]:
        """Fields that are missing or invalid, each named once, in schema order."""
        names = set(self.missing_fields()) | {p.field for p in self.problems}
        ordered = [f.name for f in SCHEMA if f.name in names]
        return ordered + sorted(names - set(ordered))

    @property
    def complete(self) -> bool:
        return not self.problem_fields()


_CacheKey = tuple[tuple[int, int, int] | None, tuple[tuple[str, str], ...]]


class SettingsStore:
    """``<instance>/settings.json`` plus environment overrides.

    ``load()`` is cheap enough to call on every request: the file is parsed again only when
    its inode, size or modification time changed (a save from any process replaces the
    file, so it is seen on the next request).
    """

    def __init__(
        self, instance_path: Path | str, *, environ: Mapping[str, str] | None = None
    ) -> None:
        self.instance_path = Path(instance_path)
        self.path = self.instance_path / SETTINGS_FILE
        self._environ = environ if environ is not None else os.environ
        self._cached: tuple[_CacheKey, SettingsState] | None = None

    # reading

    def load(self) -> Settings:
        """The settings in force now (stored values, environment overrides applied)."""
        return self.state().settings

    def state(self) -> SettingsState:
        key = (self._file_signature(), self._env_snapshot())
        cached = self._cached
        if cached is not None and cached[0] == key:
            return cached[1]
        state = self._read(key[1])
        self._cached = (key, state)
        return state

    def _file_signature(self) -> tuple[int, int, int] | None:
        try:
            st = self.path.stat()
        except FileNotFoundError:
            return None
        return (st.st_ino, st.st_size, st.st_mtime_ns)

    def _env_snapshot(self) -> tuple[tuple[str, str], ...]:
        # Empty variables count as unset (compose files often define them blank).
        return tuple((name, value) for name in ENV_VARS if (value := self._environ.get(name, "")))

    def _read(self, env: tuple[tuple[str, str], ...]) -> SettingsState:
        stored, problems = self._read_file()
        effective: dict[str, Any] = {}
        env_fields: dict[str, str] = {}
        for var, raw in env:
            name = ENV_VARS[var]
            try:
                effective[name] = parse_value(name, raw)
                env_fields[name] = var
            except SettingsError as exc:
                fallback = "" if FIELDS[name].secret else f" ({getattr(stored, name)!r})"
                problems.append(
                    Problem(
                        name,
                        f"{var}: {exc.errors[name]} The stored value{fallback} is used instead.",
                        "environment",
                    )
                )
        settings = replace(stored, **effective)
        for name, message in cross_check(settings).items():
            problems.append(Problem(name, message, "environment" if env_fields else "file"))
        return SettingsState(settings, stored, env_fields, tuple(problems))

    def _read_file(self) -> tuple[Settings, list[Problem]]:
        problems: list[Problem] = []
        try:
            data = json.loads(self.path.read_bytes())
        except FileNotFoundError:
            return DEFAULTS, problems
        except (OSError, ValueError) as exc:
            log.error("settings file %s is unreadable (%s); using defaults", self.path, exc)
            message = (
                f"The settings file {self.path} is unreadable; defaults are in force. Save "
                "the settings page to write a new one."
            )
            return DEFAULTS, [Problem(SETTINGS_FILE, message, "file")]
        if not isinstance(data, dict):
            data = {}
        values: dict[str, Any] = {}
        for name, raw in data.items():
            if name not in FIELDS:
                continue  # written by a newer version, or hand-edited: ignore
            try:
                values[name] = parse_value(name, raw)
            except SettingsError as exc:
                problems.append(Problem(name, f"{exc.errors[name]} (in {self.path})", "file"))
        return replace(DEFAULTS, **values), problems

    # writing

    def save(self, changes: Mapping[str, object]) -> Settings:
        """Validate ``changes`` against the stored settings and write the result.

        All or nothing: on any invalid value ``SettingsError`` (``.errors`` maps each field
        to its message) is raised and the file is not touched. The file is replaced
        atomically with mode 0600. Returns the settings now in force.

        :raise SettingsError: some values are invalid.
        :raise SettingsStorageError: the file could not be written (old file intact).
        """
        ensure_private_dir(self.instance_path)
        with self._write_lock():
            before, _ = self._read_file()
            after = validate(changes, before)
            payload = json.dumps(to_json(after), indent=2, ensure_ascii=False) + "\n"
            try:
                write_private_file(self.path, payload.encode("utf-8"))
            except OSError as exc:
                log.error("could not write %s: %s", self.path, exc.strerror or exc)
                raise SettingsStorageError(
                    f"Could not write {self.path}: {exc.strerror or exc}"
                ) from exc
        self._cached = None
        self._log_changes(before, after)
        return self.load()

    @contextlib.contextmanager
    def _write_lock(self) -> Iterator[None]:
        # Two admins saving at once must not lose each other's changes (read-modify-write).
        fd = os.open(self.instance_path / ".settings.lock", os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            yield
        finally:
            os.close(fd)

    @staticmethod
    def _log_changes(before: Settings, after: Settings) -> None:
        changed = [f for f in SCHEMA if getattr(before, f.name) != getattr(after, f.name)]
        for f in changed:
            if f.secret:
                log.info("%s changed", f.name)
        public = [f.name for f in changed if not f.secret]
        if public:
            log.info("settings saved; changed: %s", ", ".join(public))
        elif not changed:
            log.info("settings saved; nothing changed")


# --- Flask glue -------------------------------------------------------------------------


def init_app(app: Flask) -> None:
    """Put a ``SettingsStore`` for the app's instance folder into ``app.extensions``."""
    app.extensions[EXTENSION_KEY] = SettingsStore(app.instance_path)


def settings_store() -> SettingsStore:
    """The current app's settings store (inside an app or request context)."""
    from flask import current_app

    store: SettingsStore = current_app.extensions[EXTENSION_KEY]
    return store


def get_settings() -> Settings:
    """The settings in force for this request (re-read when the file changed)."""
    return settings_store().load()


SettingsProvider = Callable[[], Settings]
