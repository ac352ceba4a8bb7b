"""The fleet configuration: many stores, each a syncwright configuration, one PostgreSQL state.

Example (``fleet.toml``)::

    [state]
    url = "postgresql://syncwright@db.internal/syncwright"
    schema = "syncwright"

    [worker]
    tick_seconds = 5        # how often due pairs are enqueued
    stalled_seconds = 30    # a job whose worker stopped heartbeating this long is retried

    [serve]                 # `syncwright serve --fleet`: every store's webhooks
    public_url = "https://hooks.example.com"   # store S, system Y: + /hooks/S/Y
    port = 8787

    [stores.shop-12]
    config = "stores/shop-12.toml"   # its systems, secrets (env:/file:) and pairs

    [stores.shop-13]                 # or the configuration inline
    systems.square = { connector = "square", access_token = "env:SHOP13_SQUARE" }
    ...

Each store is validated exactly as ``syncwright -c FILE check`` validates its file; its
state goes to the fleet's PostgreSQL schema under the store's name (its tenant). The file
is read again when it changes (:meth:`FleetConfig.refresh`): a store added or removed with
``syncwright fleet add/remove`` is seen by running workers and ``serve`` without a restart.
"""

from __future__ import annotations

import logging
import os
import re
import threading
import tomllib
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from pydantic import Field

from framework.config import (
    Config,
    ServeConfig,
    StateConfig,
    Strict,
    load_config,
    parse_config,
    validated,
)
from framework.errors import ConfigError
from framework.facade import Hooks
from framework.plugin_manager import get_plugin_manager

log = logging.getLogger("syncwright.fleet")


class SharedHooks(Hooks):
    """Hooks shared by a fleet's many stores: presets read once, not once per store.

    Reading every connector's preset files took 90 ms a store: 90 s for a fleet of 1,000
    before a worker's first tick.
    """

    _presets: list[dict[str, Any]] | None = None

    def presets(self) -> list[dict[str, Any]]:
        """Every preset any plugin provides (read once; callers only read them)."""
        if self._presets is None:
            self._presets = super().presets()
        return list(self._presets)


STORE_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$")


class WorkerConfig(Strict):
    """How workers take, run and retry pair runs."""

    tick_seconds: float = Field(5.0, gt=0, description="How often due pairs are enqueued")
    heartbeat_seconds: float = Field(5.0, gt=0, description="A worker's heartbeat period")
    stalled_seconds: float = Field(
        30.0, gt=0, description="A job whose worker has not beaten this long is retried"
    )
    concurrency: int = Field(1, ge=1, description="Runs one worker process does at once")
    queue: str = Field("syncwright", min_length=1, description="The task queue's name")


class _Fleet(Strict):
    state: StateConfig
    worker: WorkerConfig = Field(default_factory=WorkerConfig)
    serve: ServeConfig = Field(default_factory=ServeConfig)
    stores: dict[str, dict[str, Any]] = Field(default_factory=dict)


@dataclass
class FleetConfig:
    """A validated fleet file (stores are read when first asked for, see :meth:`store`)."""

    source: Path
    state: StateConfig
    worker: WorkerConfig
    stores: dict[str, dict[str, Any]]
    serve: ServeConfig = field(default_factory=ServeConfig)
    generation: int = 0
    """Bumped each time :meth:`refresh` finds the stores changed."""
    _loaded: dict[str, tuple[Config, Hooks]] = field(default_factory=dict)
    _hooks: dict[tuple[tuple[str, ...] | None, bool], Hooks] = field(default_factory=dict)
    _seen: tuple[int, int, int] | None = None
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False, compare=False)

    @property
    def url(self) -> str:
        """The PostgreSQL database of the fleet."""
        assert self.state.url is not None
        return self.state.url

    def store(self, name: str) -> tuple[Config, Hooks]:
        """One store's configuration, validated, with its state in the fleet's schema.

        Raises:
            ConfigError: one line naming the fleet file, the store and what is wrong.
        """
        with self._lock:
            return self._store(name)

    def _store(self, name: str) -> tuple[Config, Hooks]:
        self._refresh()
        if name not in self.stores:
            raise ConfigError(f"{self.source}: no store named {name!r} in the fleet")
        if name in self._loaded:
            return self._loaded[name]
        entry = self.stores[name]
        if "config" in entry:
            path = Path(str(entry["config"]))
            path = path if path.is_absolute() else self.source.parent / path
            config, hooks = load_config(path, self._shared_hooks(path))
        else:
            source = f"{self.source}: stores.{name}"
            config, hooks = parse_config(entry, source=source, base_dir=self.source.parent)
        state = self.state.model_copy(update={"tenant": name})
        loaded = (replace(config, state=state), hooks)
        self._loaded[name] = loaded
        return loaded

    def refresh(self) -> bool:
        """Read the stores again if the fleet file changed; whether they changed.

        One ``stat`` when it did not. A store whose entry changed is validated again when
        next asked for. ``[state]``, ``[worker]`` and ``[serve]`` are read at start only.
        A file that no longer validates keeps the stores read before (one line in the log).
        """
        with self._lock:
            return self._refresh()

    def _refresh(self) -> bool:
        stamp = _stamp(self.source)
        if stamp is None or stamp == self._seen:
            return False
        self._seen = stamp
        try:
            raw = validated(_Fleet, read_fleet_file(self.source), str(self.source), ())
            for name in raw.stores:
                check_store_name(name)
        except ConfigError as exc:
            log.error("%s: not read again, its stores as before: %s", self.source, exc)
            return False
        if raw.stores == self.stores:
            return False
        for name in [n for n in self._loaded if raw.stores.get(n) != self.stores.get(n)]:
            self._loaded.pop(name, None)
        self.stores = dict(raw.stores)
        self.generation += 1
        return True

    def _shared_hooks(self, path: Path) -> Hooks | None:
        """One plugin manager for every store allowing the same connectors (a fleet's many)."""
        try:
            plugins = tomllib.loads(path.read_text(encoding="utf-8")).get("plugins", {})
        except (OSError, tomllib.TOMLDecodeError):
            return None  # load_config says what is wrong, in one line
        allow = plugins.get("allow")
        key = (tuple(allow) if isinstance(allow, list) else None, bool(plugins.get("strict")))
        if allow is not None and not isinstance(allow, list):
            return None
        if key not in self._hooks:
            try:
                self._hooks[key] = SharedHooks(get_plugin_manager(allow, strict=key[1]))
            except Exception:  # an unknown connector: load_config names it in one line
                return None
        return self._hooks[key]


def check_store_name(name: str) -> str:
    """A store's name as a fleet takes it (it keys the store's rows: its tenant).

    Raises:
        ConfigError: one line saying what names are allowed.
    """
    if not STORE_NAME.match(name):
        raise ConfigError(
            f"store name {name!r}: use letters, digits, '.', '_' and '-' (at most 100, "
            "starting with a letter or digit)"
        )
    return name


def read_fleet_file(path: Path) -> dict[str, Any]:
    """The fleet file's TOML, or one line saying why it cannot be read."""
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError(f"{path}: no such fleet file (see docs/fleet.md)") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: cannot be read: {exc}") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: not valid TOML: {exc}") from None


def load_fleet(path: str | Path) -> FleetConfig:
    """Read and validate a fleet file (its stores are validated when first used).

    Raises:
        ConfigError: one line naming the file, the key and what is wrong.
    """
    file = Path(path)
    stamp = _stamp(file)  # before reading: a change while it is read is seen next time
    raw = validated(_Fleet, read_fleet_file(file), str(file), ())
    if not raw.state.url:
        raise ConfigError(f"{file}: state.url: missing (a fleet keeps its state in PostgreSQL)")
    for name in raw.stores:
        try:
            check_store_name(name)
        except ConfigError as exc:
            raise ConfigError(f"{file}: stores: {exc}") from None
    return FleetConfig(file.resolve(), raw.state, raw.worker, raw.stores, raw.serve, _seen=stamp)


def _stamp(path: Path) -> tuple[int, int, int] | None:
    """What changes when a file is written (``fleet add`` replaces it: a new inode)."""
    try:
        st = os.stat(path)
    except OSError:
        return None
    return (st.st_mtime_ns, st.st_size, st.st_ino)
