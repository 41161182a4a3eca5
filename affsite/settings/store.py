"""The settings store: ``<instance>/settings.json`` plus ``AFFSITE_*`` environment overrides.

The file has mode 0600 and is replaced atomically; it is read per request (parsed again only
when it changed), so a save reaches every worker process without a restart. Environment
variables take precedence over stored values. Asking costs one ``stat`` of the file: the
environment is read when the store opens and again only after this process changes
``os.environ`` (a server's environment never changes; tests' does), never scanned per
request. A save interrupted by a killed worker can leave a temporary file holding the App
Secret; the store removes such leftovers of its own when it opens and before each save.

``get_settings()`` / ``settings_store()`` serve code running inside a Flask request. Layers
below the catalog never import Flask: they are handed ``store.load`` as a
``Callable[[], Settings]``. Flask is imported lazily inside the two accessors so that
importing the settings stays free of web dependencies.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import logging
import os
import re
import sys
import threading
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field, replace
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Any

from affsite.errors import AffsiteError, SettingsError
from affsite.files import ensure_private_dir, write_private_file
from affsite.settings.schema import CREDENTIAL_FIELDS, DEFAULTS, ENV_VARS, FIELDS, SCHEMA, Settings
from affsite.settings.values import cross_check, parse_value, to_json, validate

if TYPE_CHECKING:
    from flask import Flask

__all__ = [
    "EXTENSION_KEY",
    "SETTINGS_FILE",
    "Problem",
    "ProblemSource",
    "SettingsProvider",
    "SettingsState",
    "SettingsStorageError",
    "SettingsStore",
    "get_settings",
    "init_app",
    "settings_store",
]

log = logging.getLogger(__name__)

SETTINGS_FILE = "settings.json"
EXTENSION_KEY = "affsite.settings"
_LOCK_FILE = ".settings.lock"
# What ``affsite.files.write_private_file`` names its temporary file for settings.json.
_TEMP_FILE = re.compile(r"\.settings\.json\.[0-9a-f]+\.tmp")


class SettingsStorageError(AffsiteError, OSError):
    """The settings file could not be written; the previous settings stay in force."""

    fix = (
        "Make sure the instance folder exists, is writable by the affsite user and the disk "
        "is not full, then save again."
    )


# --- the store --------------------------------------------------------------------------


class ProblemSource(StrEnum):
    """Where a value that is not as it should be came from."""

    ENVIRONMENT = "environment"
    FILE = "file"


@dataclass(frozen=True, kw_only=True)
class Problem:
    """A setting that is not as it should be; ``message`` never contains a secret."""

    field: str  # a setting's name, or "settings.json" when the whole file is unreadable
    message: str
    source: ProblemSource


@dataclass(frozen=True, kw_only=True)
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


_Environment = tuple[tuple[str, str], ...]
_CacheKey = tuple[tuple[int, int, int] | None, _Environment]

# Changes this process made to ``os.environ``, counted from the audit events it raises
# (``os.putenv``/``os.unsetenv``, every set and delete), so a load can tell whether the
# environment it read is still the one in force without reading 16 variables again.
_ENV_EVENTS = frozenset({"os.putenv", "os.unsetenv"})
_env_changes = 0
_SETTLING = -1  # read once since the last change: read again on the next load
_watching = False
_watch_lock = threading.Lock()


def _count_env_change(event: str, _args: tuple[Any, ...]) -> None:
    # Runs for every audit event of the process: keep it to one set lookup.
    if event in _ENV_EVENTS:
        global _env_changes
        _env_changes += 1


def _watch_environment() -> None:
    """Install the counting hook once per process (audit hooks cannot be removed)."""
    global _watching
    with _watch_lock:
        if not _watching:
            sys.addaudithook(_count_env_change)
            _watching = True


class SettingsStore:
    """``<instance>/settings.json`` plus environment overrides.

    ``load()`` is cheap enough to call on every request: one ``stat`` of the file, which is
    parsed again only when its inode, size or modification time changed (a save from any
    process replaces the file, so it is seen on the next request). ``AFFSITE_*`` variables
    are read from ``os.environ`` when the store opens and again after this process changes
    ``os.environ``; an ``environ`` mapping given instead is read once, when the store opens.
    """

    def __init__(
        self, instance_path: Path | str, *, environ: Mapping[str, str] | None = None
    ) -> None:
        self.instance_path = Path(instance_path)
        self.path = self.instance_path / SETTINGS_FILE
        self._file = os.fspath(self.path)
        self._environ = environ if environ is not None else os.environ
        self._watch = environ is None
        if self._watch:
            _watch_environment()
        self._env: tuple[int, _Environment] = (_env_changes, self._env_snapshot())
        self._cached: tuple[_CacheKey, SettingsState] | None = None
        self._remove_leftovers_if_idle()

    # reading

    def load(self) -> Settings:
        """The settings in force now (stored values, environment overrides applied)."""
        return self.state().settings

    def state(self) -> SettingsState:
        key = (self._file_signature(), self._environment())
        cached = self._cached
        if cached is not None and cached[0] == key:
            return cached[1]
        state = self._read(key[1])
        self._cached = (key, state)
        return state

    def _environment(self) -> _Environment:
        """The ``AFFSITE_*`` variables in force, read again only when they may have changed.

        The audit event comes just before the change itself, so after a change the variables
        are read on the next two loads: one racing the change in another thread may still see
        the old value, the one after it sees the new.
        """
        changes, env = self._env
        if self._watch and changes != _env_changes:
            settled = changes == _SETTLING
            changes = _env_changes if settled else _SETTLING
            env = self._env_snapshot()
            self._env = (changes, env)
        return env

    def _file_signature(self) -> tuple[int, int, int] | None:
        try:
            st = os.stat(self._file)
        except FileNotFoundError:
            return None
        return (st.st_ino, st.st_size, st.st_mtime_ns)

    def _env_snapshot(self) -> _Environment:
        # Empty variables count as unset (compose files often define them blank).
        return tuple((name, value) for name in ENV_VARS if (value := self._environ.get(name, "")))

    def _read(self, env: _Environment) -> SettingsState:
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
                        field=name,
                        message=(
                            f"{var}: {exc.errors[name]} The stored value{fallback} is used instead."
                        ),
                        source=ProblemSource.ENVIRONMENT,
                    )
                )
        settings = replace(stored, **effective)
        source = ProblemSource.ENVIRONMENT if env_fields else ProblemSource.FILE
        for name, message in cross_check(settings).items():
            problems.append(Problem(field=name, message=message, source=source))
        return SettingsState(
            settings=settings, stored=stored, env_fields=env_fields, problems=tuple(problems)
        )

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
            return DEFAULTS, [
                Problem(field=SETTINGS_FILE, message=message, source=ProblemSource.FILE)
            ]
        if not isinstance(data, dict):
            data = {}
        values: dict[str, Any] = {}
        for name, raw in data.items():
            if name not in FIELDS:
                continue  # written by a newer version, or hand-edited: ignore
            try:
                values[name] = parse_value(name, raw)
            except SettingsError as exc:
                problems.append(
                    Problem(
                        field=name,
                        message=f"{exc.errors[name]} (in {self.path})",
                        source=ProblemSource.FILE,
                    )
                )
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
            self._remove_leftovers()
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
    def _write_lock(self, *, wait: bool = True) -> Iterator[bool]:
        """Hold the save lock (True), or yield False at once if ``wait`` is off and another
        save holds it. Two admins saving at once must not lose each other's changes."""
        fd = os.open(self.instance_path / _LOCK_FILE, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX if wait else fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                yield False
            else:
                yield True
        finally:
            os.close(fd)

    def _leftovers(self) -> list[Path]:
        """Temporary files of saves killed before their rename (only our own name pattern)."""
        with os.scandir(self.instance_path) as entries:
            return [
                Path(entry.path)
                for entry in entries
                if _TEMP_FILE.fullmatch(entry.name) and entry.is_file(follow_symlinks=False)
            ]

    def _remove_leftovers(self) -> None:
        """Delete the leftovers; call only holding the save lock, so no save is in flight.
        Each one may hold the App Secret, in a file nothing would ever delete."""
        for path in self._leftovers():
            with contextlib.suppress(FileNotFoundError):
                path.unlink()
            log.warning("removed %s, left behind by an interrupted settings save", path.name)

    def _remove_leftovers_if_idle(self) -> None:
        """On opening: remove leftovers unless a save is running right now (it cleans up)."""
        try:
            if not self.instance_path.is_dir() or not self._leftovers():
                return
            with self._write_lock(wait=False) as locked:
                if locked:
                    self._remove_leftovers()
        except OSError as exc:  # a read-only or unreadable folder: saving will say so
            log.warning("could not clean up %s: %s", self.instance_path, exc.strerror or exc)

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
    """Put a ``SettingsStore`` for the app's instance folder into ``app.extensions`` (kept in
    Redis when the deploy-time ``REDIS_URL`` is set: ``affsite.settings.redis_store``)."""
    if app.config.get("REDIS_URL"):
        from affsite.settings.redis_store import RedisSettingsStore

        app.extensions[EXTENSION_KEY] = RedisSettingsStore.from_url(
            app.instance_path, app.config["REDIS_URL"], prefix=app.config["REDIS_PREFIX"]
        )
        return
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
