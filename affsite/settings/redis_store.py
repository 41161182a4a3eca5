"""The settings in Redis, for sites served by several machines (``AFFSITE_REDIS_URL``).

Same contract as ``SettingsStore`` (the same validation, environment overrides and problems),
but the stored values are one JSON document in Redis (``<prefix>:settings``): ``{"version": n,
"values": {...}}``, never pickle. A save is all or nothing: the document is watched while the
changes are validated against it and replaced in one ``MULTI``/``EXEC`` with the next version,
so two admins saving at once on two machines never lose each other's changes.

Reading costs no round trip per request: each process asks Redis again at most once per
``WINDOW`` seconds (monotonic clock, injected), so a save on one machine is in force on every
machine within that window (at once in the process that saved).

Every machine keeps a copy of the settings it last read in its instance folder's
``settings.json`` (0600, the file store's format), and an empty Redis (a site moving from one
machine to several, or a Redis restarted without its data) is given that copy back, once, by
whichever process gets there first. While Redis cannot be reached the settings last read stay
in force; a process that never read them uses the machine's copy and says so. Redis holds the
App Secret: keep it on a private network, with a password (see docs/deploy.md).
"""

from __future__ import annotations

import json
import logging
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import replace
from pathlib import Path
from typing import Any

import redis
from redis.backoff import NoBackoff
from redis.exceptions import RedisError, WatchError
from redis.retry import Retry

from affsite.errors import SettingsError
from affsite.files import ensure_private_dir, write_private_file
from affsite.settings.schema import DEFAULTS, FIELDS, Settings
from affsite.settings.store import (
    SETTINGS_FILE,
    Problem,
    ProblemSource,
    SettingsStorageError,
    SettingsStore,
)
from affsite.settings.values import parse_value, to_json, validate

log = logging.getLogger(__name__)

WINDOW = 1.0  # seconds the settings read from Redis are used without asking again
TIMEOUT = 0.5  # seconds to connect, and for one command
SAVE_ATTEMPTS = 20  # saves racing on the document: tries before giving up

_Signature = tuple[int, int, int]
_FROM_REDIS = -1  # first number of a signature of the Redis document (a file's is an inode)


class SettingsRedisError(SettingsStorageError):
    """The settings could not be saved to Redis; the previous settings stay in force."""

    fix = (
        "Redis cannot be reached: start it or correct AFFSITE_REDIS_URL, then save again. "
        "The settings in force stay as they were."
    )


def connect(url: str) -> redis.Redis:
    """A client with short deadlines and no retries of its own."""
    return redis.Redis.from_url(
        url,
        socket_connect_timeout=TIMEOUT,
        socket_timeout=TIMEOUT,
        retry=Retry(NoBackoff(), 0),
        max_connections=16,
    )


def _document(raw: bytes | None) -> tuple[int, dict[str, Any]] | None:
    """``(version, values)`` of a stored document; None when it is not one."""
    if raw is None:
        return None
    try:
        doc = json.loads(raw)
    except ValueError:
        return None
    if not isinstance(doc, dict) or not isinstance(doc.get("values"), dict):
        return None
    version = doc.get("version")
    return (version if isinstance(version, int) else 0), doc["values"]


def _encode(version: int, values: Mapping[str, Any]) -> bytes:
    return json.dumps({"version": version, "values": dict(values)}, ensure_ascii=False).encode()


class RedisSettingsStore(SettingsStore):
    """``SettingsStore`` with its stored values in Redis (see the module doc).

    ``instance_path`` still names the instance folder: its ``settings.json`` is this machine's
    copy, which seeds an empty Redis and stands in while Redis was never reached.
    """

    def __init__(
        self,
        instance_path: Path | str,
        *,
        client: redis.Redis,
        prefix: str,
        environ: Mapping[str, str] | None = None,
        clock: Callable[[], float] = time.monotonic,
        window: float = WINDOW,
    ) -> None:
        self.client = client
        self.key = f"{prefix}:settings"
        self._clock = clock
        self.window = window
        self._asking = threading.Lock()
        # When Redis was last asked, and the document it gave (None: nothing read yet).
        self._seen: tuple[float, bytes | None] | None = None
        self._unreachable: str | None = None  # why Redis could not be read just now
        super().__init__(instance_path, environ=environ)

    @classmethod
    def from_url(cls, instance_path: Path | str, url: str, *, prefix: str) -> RedisSettingsStore:
        return cls(instance_path, client=connect(url), prefix=prefix)

    # reading

    def _file_signature(self) -> _Signature | None:
        now = self._clock()
        seen = self._seen
        due = seen is None or not 0 <= now - seen[0] < self.window
        # One thread asks Redis; the others use what was read last, except before the first
        # reading, which they wait for (bounded by the connection's deadlines).
        if due and self._asking.acquire(blocking=seen is None):
            try:
                seen = self._seen
                if seen is None or not 0 <= now - seen[0] < self.window:
                    seen = self._ask(now, seen)
            finally:
                self._asking.release()
        if seen is None or seen[1] is None:
            return super()._file_signature()  # this machine's own file stands in
        parsed = _document(seen[1])
        return (_FROM_REDIS, parsed[0] if parsed else -1, len(seen[1]))

    def _ask(
        self, now: float, seen: tuple[float, bytes | None] | None
    ) -> tuple[float, bytes | None] | None:
        try:
            raw = _bytes(self.client.get(self.key))
            if raw is None:
                raw = self._seed()
        except RedisError as error:
            if self._unreachable is None:
                log.error("settings: Redis cannot be read (%s); keeping those in force", error)
            self._unreachable = "Redis cannot be reached"
            kept = (now, seen[1] if seen is not None else None)
            self._seen = kept
            return kept
        self._unreachable = None
        if raw is not None and (seen is None or seen[1] != raw):
            self._keep_copy(raw)
        self._seen = (now, raw)
        return self._seen

    def _keep_copy(self, raw: bytes) -> None:
        """Write the settings in ``raw`` to this machine's ``settings.json`` if they differ."""
        parsed = _document(raw)
        if parsed is None:
            return
        payload = (json.dumps(parsed[1], indent=2, ensure_ascii=False) + "\n").encode("utf-8")
        try:
            if self.path.is_file() and self.path.read_bytes() == payload:
                return
            ensure_private_dir(self.instance_path)
            write_private_file(self.path, payload)
        except OSError as error:  # the copy is a fallback: Redis stays the truth
            log.warning("could not keep a copy of the settings in %s: %s", self.path, error)

    def _seed(self) -> bytes | None:
        """Copy this machine's ``settings.json`` into an empty Redis (first writer wins)."""
        try:
            values = json.loads(self.path.read_bytes())
        except (OSError, ValueError):
            return None
        if not isinstance(values, dict):
            return None
        if self.client.set(self.key, _encode(1, values), nx=True):
            log.info("settings: copied %s into Redis", self.path)
        return _bytes(self.client.get(self.key))

    def _read_file(self) -> tuple[Settings, list[Problem]]:
        seen = self._seen
        if seen is None or seen[1] is None:
            stored, problems = super()._read_file()
            if self._unreachable is not None:
                message = (
                    f"{self._unreachable}: this machine's own {self.path} is in force until "
                    "it answers. Start Redis or correct AFFSITE_REDIS_URL."
                )
                problems.append(
                    Problem(field=SETTINGS_FILE, message=message, source=ProblemSource.FILE)
                )
            return stored, problems
        return self._parse(seen[1])

    def _parse(self, raw: bytes | None) -> tuple[Settings, list[Problem]]:
        problems: list[Problem] = []
        parsed = _document(raw)
        if parsed is None:
            if raw is not None:
                message = (
                    f"The settings in Redis ({self.key}) are unreadable; defaults are in "
                    "force. Save the settings page to write them again."
                )
                problems.append(
                    Problem(field=SETTINGS_FILE, message=message, source=ProblemSource.FILE)
                )
            return DEFAULTS, problems
        values: dict[str, Any] = {}
        for name, value in parsed[1].items():
            if name not in FIELDS:
                continue  # written by a newer version: ignored
            try:
                values[name] = parse_value(name, value)
            except SettingsError as exc:
                problems.append(
                    Problem(
                        field=name,
                        message=f"{exc.errors[name]} (in Redis, {self.key})",
                        source=ProblemSource.FILE,
                    )
                )
        return replace(DEFAULTS, **values), problems

    # writing

    def save(self, changes: Mapping[str, object]) -> Settings:
        """Validate ``changes`` against the stored settings and store the result, all or
        nothing (see the module doc). Returns the settings now in force.

        :raise SettingsError: some values are invalid (nothing is written).
        :raise SettingsRedisError: Redis could not be written (the old settings stay).
        """
        for _ in range(SAVE_ATTEMPTS):
            try:
                pipe: Any
                with self.client.pipeline(transaction=True) as pipe:
                    pipe.watch(self.key)
                    raw = _bytes(pipe.get(self.key))
                    if raw is None:
                        before, _ = super()._read_file()  # a first save starts from the file
                        version = 0
                    else:
                        before, _ = self._parse(raw)
                        parsed = _document(raw)
                        version = parsed[0] if parsed else 0
                    after = validate(changes, before)
                    written = _encode(version + 1, to_json(after))
                    pipe.multi()
                    pipe.set(self.key, written)
                    pipe.execute()
            except WatchError:
                continue  # another save came first: validate against it
            except RedisError as error:
                log.error("could not save the settings to Redis: %s", error)
                raise SettingsRedisError(
                    f"Could not save the settings to Redis: {_words(error)}"
                ) from error
            self._seen = (self._clock(), written)
            self._unreachable = None
            self._keep_copy(written)
            self._cached = None
            self._log_changes(before, after)
            return self.load()
        raise SettingsRedisError(
            f"Could not save the settings: {SAVE_ATTEMPTS} other saves came first; save again"
        )


def _bytes(raw: object) -> bytes | None:
    return raw if isinstance(raw, bytes) else None


def _words(error: BaseException) -> str:
    text = str(error).lower()
    if isinstance(error, redis.TimeoutError):
        return "Redis answers too slowly"
    if "refused" in text:
        return "Redis refused the connection"
    return "Redis cannot be reached"
