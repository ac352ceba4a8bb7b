"""Open the configured state store: the SQLite file (embedded default) or PostgreSQL.

Every place that opens a store goes through :func:`open_store`, so the CLI, the engine and
fleet workers read the same configuration the same way (``[state] url`` or ``--store``).
"""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING
from urllib.parse import urlsplit, urlunsplit

from framework.errors import SyncwrightError
from framework.secrets import register_secret
from framework.state.sqlite import SQLiteStore
from framework.state.store import StateStore

if TYPE_CHECKING:
    from framework.config import Config, StateConfig


def is_postgres(target: str | None) -> bool:
    """Whether ``target`` names a PostgreSQL database rather than a SQLite file."""
    return bool(target) and str(target).startswith(("postgresql://", "postgres://"))


def shown(url: str) -> str:
    """A database URL as it may be shown: no password (registered as a secret as well)."""
    parts = urlsplit(url)
    if parts.password:
        register_secret(parts.password)
    netloc = (f"{parts.username}@" if parts.username else "") + (parts.hostname or "")
    if parts.port:
        netloc += f":{parts.port}"
    return urlunsplit((parts.scheme, netloc, parts.path, "", ""))


def with_store(config: Config, store: str | None, tenant: str | None) -> Config:
    """``config`` with its state store chosen on the command line (``--store``, ``--tenant``).

    ``store`` is a ``postgresql://`` URL or a SQLite file; ``tenant`` picks one store of a
    fleet in a PostgreSQL schema.
    """
    state: StateConfig = config.state
    if store is not None:
        if is_postgres(store):
            state = state.model_copy(update={"url": store})
        else:
            state = state.model_copy(update={"url": None, "path": store})
    if tenant is not None:
        state = state.model_copy(update={"tenant": tenant})
    return replace(config, state=state)


def open_store(config: Config) -> StateStore:
    """The configuration's state store, open.

    Raises:
        StoreUnavailable: PostgreSQL cannot be reached or its schema needs an upgrade.
    """
    if config.state.url:
        shown(config.state.url)  # its password is a secret from now on
        try:
            from framework.state.postgres import PostgresStore  # psycopg only where used
        except ImportError as exc:
            raise SyncwrightError(
                f"the state store is PostgreSQL ({shown(config.state.url)}) but {exc.name} is "
                "not installed: pip install 'syncwright[fleet]'"
            ) from None
        return PostgresStore(
            config.state.url, schema=config.state.schema_name, tenant=config.state.tenant
        )
    return SQLiteStore(config.state_path)


def describe_store(config: Config) -> str:
    """Where the state is, as it may be shown (never a password)."""
    if config.state.url:
        return (
            f"{shown(config.state.url)} (schema {config.state.schema_name}, "
            f"tenant {config.state.tenant})"
        )
    return str(config.state_path)
