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
import difflib
import importlib.metadata
import tomllib
import types
import typing
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, SecretStr, ValidationError, field_validator

from framework.engine.flows import FlowSpec, PairSpec
from framework.engine.guard import GuardConfig
from framework.engine.policies import POLICIES, RecordWins
from framework.errors import ConfigError, PluginError
from framework.facade import Hooks
from framework.models import EntitySupport, SystemContext, SystemSettings
from framework.models.base import entity_model
from framework.plugin_manager import ENTRY_POINT_GROUP, get_plugin_manager
from framework.presets import deep_merge, find_preset
from framework.secrets import from_environment, tidy_secrets


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class StateConfig(_Strict):
    """Where the state store lives: a SQLite file (default), or a PostgreSQL database.

    ``url = "postgresql://..."`` keeps the state in PostgreSQL (``docs/fleet.md``): one
    ``schema`` per installation, this configuration's rows under its ``tenant``.
    """

    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    path: str = "syncwright.db"
    url: str | None = Field(
        None, description="postgresql://user@host:port/database (instead of the file)"
    )
    schema_name: str = Field(
        "syncwright", alias="schema", description="PostgreSQL schema of this installation"
    )
    tenant: str = Field("default", min_length=1, description="This store's key in the schema")

    @field_validator("url")
    @classmethod
    def _postgres_only(cls, value: str | None) -> str | None:
        if value is not None and not value.startswith(("postgresql://", "postgres://")):
            raise ValueError("must start with postgresql:// (a SQLite file goes in `path`)")
        return value


class PluginsConfig(_Strict):
    """Which connectors to load."""

    allow: list[str] | None = None
    strict: bool = False


class EngineConfig(_Strict):
    """How hard the engine retries, and how long a silent run keeps its pair."""

    retry_attempts: int = Field(6, ge=1)
    retry_initial_wait: float = Field(0.5, ge=0)
    retry_max_wait: float = Field(60.0, ge=0)
    lease_ttl: float = Field(
        60.0,
        gt=0,
        description="Seconds without a heartbeat after which a run's pair lease is taken "
        "over (heartbeats go every quarter of it; a dead process on this host is taken "
        "over at once)",
    )
    history_days: float = Field(
        90.0, ge=0, description="Days history is kept (runs prune it; 0: kept for ever)"
    )
    read_ahead: bool = Field(
        False,
        description="A long read of a connector that allows it (Edge's exports) goes on "
        "in a process of its own, a page ahead of reconciling (its memory is the child's: "
        "about 120-140 MB at 10k-100k customers; the gain measured so far is within noise)",
    )
    guard: GuardConfig = Field(
        default_factory=GuardConfig,
        description="Limits on mass changes (default: 5 % of linked records, at least 50)",
    )


class ConsoleUser(_Strict):
    """A person who may log in to the console (``syncwright console hash-password``)."""

    name: str = Field(min_length=1)
    password_hash: SecretStr = Field(description="An argon2 hash, never the password itself")
    role: Literal["viewer", "operator"] = "viewer"

    @field_validator("password_hash", mode="before")
    @classmethod
    def _from_environment(cls, value: Any) -> Any:
        """``env:NAME`` reads the hash from the environment."""
        return from_environment(value)


class ConsoleConfig(_Strict):
    """Who may use the console, and how long a login lasts (docs/console.md)."""

    users: list[ConsoleUser] = Field(default_factory=list)
    session_secret: SecretStr | None = Field(
        None, description="Signs session cookies; default: a new one each start (env:NAME)"
    )
    session_hours: float = Field(8.0, gt=0)
    poll_seconds: float = Field(3.0, gt=0, description="How often pages refresh themselves")

    @field_validator("session_secret", mode="before")
    @classmethod
    def _from_environment(cls, value: Any) -> Any:
        """``env:NAME`` reads the secret from the environment."""
        return from_environment(value)


class ServeConfig(_Strict):
    """``syncwright serve``: where it listens for webhooks, how it turns them into runs."""

    host: str = Field("127.0.0.1", description="Address to listen on (a proxy in front)")
    port: int = Field(8787, gt=0, lt=65536)
    public_url: str | None = Field(
        None,
        description="The base URL platforms call (https://sync.example.com); the "
        "notification URL of system NAME is this + /hooks/NAME, as registered with the "
        "platform (Square signs it)",
    )
    debounce_seconds: float = Field(
        1.0, ge=0, description="A burst of notifications for one pair within this is one run"
    )
    webhook_poll_minutes: float | None = Field(
        None,
        gt=0,
        description="Time between poll runs of a pair whose platform sends webhooks "
        "(default: the pair's interval, at least 60 minutes)",
    )
    keep_hours: float = Field(
        96.0, gt=0, description="How long a consumed event id is kept to refuse its replays"
    )


class _File(_Strict):
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
    raw = _validated(_File, data, source, ())
    installed = (
        sorted({ep.name for ep in importlib.metadata.entry_points(group=ENTRY_POINT_GROUP)})
        if hooks is None  # given hooks hold the connectors already (tests, a fleet's stores)
        else []
    )
    for name in raw.plugins.allow or []:
        if hooks is None and name not in installed:
            raise ConfigError(
                f"{source}: plugins.allow: no installed connector is named {name!r}"
                f"{_suggest(name, installed)}; installed: {', '.join(installed)}"
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
    pairs = {name: _pair(name, table, systems, source, hooks) for name, table in raw.pairs.items()}
    config = Config(
        source, base_dir, raw.state, raw.plugins, raw.engine, systems, pairs, raw.console, raw.serve
    )
    return config, hooks


def _validated(
    model: type[Any],
    data: Any,
    source: str,
    loc: tuple[str, ...],
    context: dict[str, Any] | None = None,
) -> Any:
    try:
        return model.model_validate(data, context=context)
    except ValidationError as exc:
        raise ConfigError(_one_line(source, loc, exc, model)) from None


def _one_line(
    source: str, loc: tuple[str, ...], exc: ValidationError, model: type[Any] | None = None
) -> str:
    """Every error on one line, unknown keys first (a typo often makes a key "missing" too)."""
    errors = sorted(exc.errors(), key=lambda e: e["type"] != "extra_forbidden")
    parts = []
    for err in errors:
        where = ".".join(str(p) for p in (*loc, *err["loc"]))
        if err["type"] == "extra_forbidden":
            known = _keys_at(model, err["loc"][:-1]) if model is not None else []
            message = f"unknown key{_suggest(str(err['loc'][-1]), known)}"
        else:
            message = str(err["msg"]).removeprefix("Value error, ")
        parts.append(f"{where}: {message}" if where else message)
    shown = parts[:3]
    more = f" (and {len(parts) - 3} more)" if len(parts) > 3 else ""
    return f"{source}: {'; '.join(shown)}{more}"


def _suggest(word: str, known: list[str]) -> str:
    """`` (did you mean 'x'?)``, else `` (known: a, b)``, else nothing."""
    if not known:
        return ""
    close = difflib.get_close_matches(word, known, n=1)
    if close:
        return f" (did you mean {close[0]!r}?)"
    return f" (known: {', '.join(known)})"


def _keys_at(model: type[Any], path: tuple[Any, ...]) -> list[str]:
    """The keys a pydantic model takes at ``path`` inside it (``[]`` when it cannot tell)."""
    current: Any = model
    parts = list(path)
    while True:
        origin = typing.get_origin(current)
        if origin in (typing.Union, types.UnionType):
            inner = [a for a in typing.get_args(current) if a is not type(None)]
            current = inner[0] if len(inner) == 1 else None
            continue
        if origin in (list, dict) and parts:
            parts.pop(0)
            current = typing.get_args(current)[-1]
            continue
        if isinstance(current, type) and issubclass(current, BaseModel):
            if not parts:
                return [f.alias or name for name, f in current.model_fields.items()]
            field = current.model_fields.get(str(parts.pop(0)))
            if field is None:
                return []
            current = field.annotation
            continue
        return []


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
    settings: SystemSettings = _validated(
        info.settings_model, table, source, ("systems", name), {"base_dir": base_dir}
    )
    if secret := tidy_secrets(settings):  # whatever the connector's model does with them
        raise ConfigError(
            f"{source}: systems.{name}.{secret}: a secret must be one line of text, and this "
            "one is empty or holds a control character such as a line break (the value is "
            "not shown)"
        )
    return settings


def _pair(
    name: str, table: dict[str, Any], systems: dict[str, SystemSettings], source: str, hooks: Hooks
) -> PairSpec:
    where = f"{source}: pairs.{name}"
    data = dict(table)
    flows: dict[str, Any] = {}
    if preset_name := data.get("preset"):
        try:
            preset = find_preset(hooks, str(preset_name))
        except KeyError as exc:
            raise ConfigError(f"{where}.preset: {exc.args[0]}") from None
        flows = preset.flows
        data.setdefault("interval_minutes", preset.interval_minutes)
    data["flows"] = deep_merge(flows, data.get("flows", {}))
    data["name"] = name
    pair: PairSpec = _validated(PairSpec, data, source, ("pairs", name))
    _check_pair(pair, systems, hooks, where)
    return pair


def _check_pair(
    pair: PairSpec, systems: dict[str, SystemSettings], hooks: Hooks, where: str
) -> None:
    for side in ("pos", "platform"):
        system = getattr(pair, side)
        if system not in systems:
            known = ", ".join(sorted(systems)) or "none"
            raise ConfigError(f"{where}.{side}: no system named {system!r} (defined: {known})")
    for entity, flow in pair.flows.items():
        at = f"{where}.flows.{entity}"
        try:
            model = entity_model(entity)
        except KeyError as exc:
            raise ConfigError(f"{at}: {exc.args[0]}") from None
        for side in ("pos", "platform"):
            name = getattr(pair, side)
            info = hooks.describe(systems[name].connector)
            if flow.direction.value == "off":
                continue
            if entity not in info.entities:
                raise ConfigError(
                    f"{at}: connector {info.name!r} ({side}) does not support entity {entity!r}"
                )
            system = SystemContext(name=name, connector=info.name, settings=systems[name])
            if reason := hooks.check_flow(system, entity, flow.direction.value, side):
                raise ConfigError(f"{at}: {reason}")
        if flow.record_policy is not None and not isinstance(
            POLICIES.get(flow.record_policy), RecordWins
        ):
            raise ConfigError(
                f"{at}.record_policy: {flow.record_policy!r} is not a record-level "
                "policy (record_wins, winner_record)"
            )
        pos_support = hooks.describe(systems[pair.pos].connector).entities.get(entity)
        _check_names(flow, model, entity, at, pos_support)
        for field, rule in flow.fields.items():
            if rule.policy not in POLICIES:
                raise ConfigError(
                    f"{at}.fields.{field}.policy: unknown policy {rule.policy!r} "
                    f"(known: {', '.join(POLICIES)})"
                )


def _check_names(
    flow: FlowSpec, model: type[Any], entity: str, at: str, pos: EntitySupport | None
) -> None:
    """Every field a flow names, in filters, field rules and maps, and every match key, exists.

    A misspelt name would otherwise match nothing, silently: a filter on ``sync_flg`` puts
    every record out of scope.
    """
    fields = list(model.model_fields)

    def unknown(where: str, what: str, name: str, known: list[str]) -> ConfigError:
        return ConfigError(
            f"{where}: {entity} has no {what} {name!r}{_suggest(name, known)}; "
            f"known: {', '.join(known) or 'none'}"
        )

    for side in ("pos_filter", "platform_filter"):
        for n, predicate in enumerate(getattr(flow, side)):
            if predicate.field not in fields:
                raise unknown(f"{at}.{side}[{n}].field", "field", predicate.field, fields)
    for name in flow.fields:
        if name not in fields:
            raise unknown(f"{at}.fields.{name}", "field", name, fields)
    keys = list(model.match_key_names)
    for option in ("match_on", "duplicate_keys"):
        for key in getattr(flow, option):
            if key not in keys:
                raise unknown(f"{at}.{option}", "match key", key, keys)
    for name, rule in flow.fields.items():
        held = pos.field_keys.get(name, []) if pos is not None else []
        for key in rule.map or {} if held else {}:
            if key not in held:
                raise ConfigError(
                    f"{at}.fields.{name}.map: the POS has no {name} key {key!r}"
                    f"{_suggest(key, held)}; known: {', '.join(held)}"
                )
