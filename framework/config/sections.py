"""The sections of a configuration file besides its systems and pairs.

Where the state lives, which connectors load, how hard the engine retries, who may use the
console, and how ``serve`` listens.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, SecretStr, field_validator

from framework.engine.guard import GuardConfig
from framework.secrets import from_environment


class Strict(BaseModel):
    """A section that refuses keys it does not know (a typo is an error, not ignored)."""

    model_config = ConfigDict(extra="forbid")


class StateConfig(Strict):
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


class PluginsConfig(Strict):
    """Which connectors to load."""

    allow: list[str] | None = None
    strict: bool = False


class EngineConfig(Strict):
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


class ConsoleUser(Strict):
    """A person who may log in to the console (``syncwright console hash-password``)."""

    name: str = Field(min_length=1)
    password_hash: SecretStr = Field(description="An argon2 hash, never the password itself")
    role: Literal["viewer", "operator"] = "viewer"

    @field_validator("password_hash", mode="before")
    @classmethod
    def _from_environment(cls, value: Any) -> Any:
        """``env:NAME`` reads the hash from the environment."""
        return from_environment(value)


class ConsoleConfig(Strict):
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


class ServeConfig(Strict):
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
