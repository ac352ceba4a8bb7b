"""The configuration file (TOML), validated by pydantic; errors name the file and the key.

Example::

    [state]
    path = "syncwright.db"          # relative to this file

    [plugins]
    allow = ["edge", "clientbook"]  # connectors to load (default: every installed one)

    [systems.edge]
    connector = "edge"
    folder = "edge-exchange"

    [systems.clientbook]
    connector = "clientbook"
    base_url = "https://api.clientbook.example"
    api_key = "env:CLIENTBOOK_API_KEY"

    [pairs.store]
    preset = "edge-clientbook"
    pos = "edge"
    platform = "clientbook"
    default_associate = "1"
"""

from __future__ import annotations

import dataclasses
import importlib.metadata
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import Field

from framework.config.errors import suggest, validated
from framework.config.pairs import pair_spec
from framework.config.sections import (
    ConsoleConfig,
    ConsoleUser,
    EngineConfig,
    PluginsConfig,
    ServeConfig,
    StateConfig,
    Strict,
)
from framework.engine.flows import PairSpec
from framework.errors import ConfigError, PluginError
from framework.facade import Hooks
from framework.models import SystemSettings
from framework.plugin_manager import ENTRY_POINT_GROUP, get_plugin_manager
from framework.secrets import tidy_secrets

__all__ = [
    "Config",
    "ConsoleConfig",
    "ConsoleUser",
    "EngineConfig",
    "PluginsConfig",
    "ServeConfig",
    "StateConfig",
    "Strict",
    "load_config",
    "parse_config",
    "validated",
]


class _File(Strict):
    state: StateConfig = Field(default_factory=StateConfig)
    plugins: PluginsConfig = Field(default_factory=PluginsConfig)
    engine: EngineConfig = Field(default_factory=EngineConfig)
    console: ConsoleConfig = Field(default_factory=ConsoleConfig)
    serve: ServeConfig = Field(default_factory=ServeConfig)
    systems: dict[str, dict[str, Any]] = Field(default_factory=dict)
    pairs: dict[str, dict[str, Any]] = Field(default_factory=dict)


@dataclass
class Config:
    """A validated configuration."""

    source: str
    base_dir: Path
    state: StateConfig
    plugins: PluginsConfig
    engine: EngineConfig
    systems: dict[str, SystemSettings]
    pairs: dict[str, PairSpec]
    console: ConsoleConfig = dataclasses.field(default_factory=ConsoleConfig)
    serve: ServeConfig = dataclasses.field(default_factory=ServeConfig)

    @property
    def state_path(self) -> Path:
        """The state file, resolved against the configuration's folder."""
        path = Path(self.state.path)
        return path if path.is_absolute() or self.state.path == ":memory:" else self.base_dir / path


def load_config(path: str | Path, hooks: Hooks | None = None) -> tuple[Config, Hooks]:
    """Read, parse and validate a configuration file.

    Returns the configuration and the hooks of a plugin manager holding the allowed
    connectors (``hooks`` is used instead when given, e.g. by tests).

    Raises:
        ConfigError: one line naming the file, the key and what is wrong.
    """
    file = Path(path)
    try:
        data = tomllib.loads(file.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError(f"{file}: no such configuration file") from None
    except IsADirectoryError:
        raise ConfigError(
            f"{file}: is a folder; -c wants the configuration file "
            f"(e.g. {file / 'syncwright.toml'})"
        ) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{file}: cannot be read: {exc}") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{file}: not valid TOML: {exc}") from None
    return parse_config(data, source=str(file), base_dir=file.resolve().parent, hooks=hooks)


def parse_config(
    data: dict[str, Any], *, source: str, base_dir: Path, hooks: Hooks | None = None
) -> tuple[Config, Hooks]:
    """Validate configuration data already parsed from ``source``."""
    raw = validated(_File, data, source, ())
    installed = (
        sorted({ep.name for ep in importlib.metadata.entry_points(group=ENTRY_POINT_GROUP)})
        if hooks is None  # given hooks hold the connectors already (tests, a fleet's stores)
        else []
    )
    for name in raw.plugins.allow or []:
        if hooks is None and name not in installed:
            raise ConfigError(
                f"{source}: plugins.allow: no installed connector is named {name!r}"
                f"{suggest(name, installed)}; installed: {', '.join(installed)}"
            )
    if hooks is None:
        try:
            pm = get_plugin_manager(raw.plugins.allow, strict=raw.plugins.strict)
        except PluginError as exc:
            raise ConfigError(f"{source}: plugins: {exc}") from None
        hooks = Hooks(pm)
    systems = {
        name: _system(name, table, source, base_dir, hooks, raw.plugins.allow)
        for name, table in raw.systems.items()
    }
    pairs = {
        name: pair_spec(name, table, systems, source, hooks) for name, table in raw.pairs.items()
    }
    config = Config(
        source, base_dir, raw.state, raw.plugins, raw.engine, systems, pairs, raw.console, raw.serve
    )
    return config, hooks


def _system(
    name: str,
    table: dict[str, Any],
    source: str,
    base_dir: Path,
    hooks: Hooks,
    allow: list[str] | None = None,
) -> SystemSettings:
    connector = table.get("connector")
    if not connector:
        raise ConfigError(f"{source}: systems.{name}.connector: missing (which connector?)")
    try:
        info = hooks.describe(str(connector))
    except PluginError as exc:
        if allow is not None and connector not in allow:
            raise ConfigError(
                f"{source}: systems.{name}.connector: connector {connector!r} is not in "
                f"plugins.allow ({', '.join(allow) or 'empty'})"
            ) from None
        raise ConfigError(f"{source}: systems.{name}.connector: {exc}") from None
    settings: SystemSettings = validated(
        info.settings_model, table, source, ("systems", name), {"base_dir": base_dir}
    )
    if secret := tidy_secrets(settings):  # whatever the connector's model does with them
        raise ConfigError(
            f"{source}: systems.{name}.{secret}: a secret must be one line of text, and this "
            "one is empty or holds a control character such as a line break (the value is "
            "not shown)"
        )
    return settings
