"""The PostgreSQL state store: many stores (tenants) in one schema (``docs/fleet.md``)."""

from framework.state.postgres.connection import StoreUnavailable, close_pool, close_pools
from framework.state.postgres.migrations import current, latest, upgrade
from framework.state.postgres.store import PostgresStore

__all__ = [
    "PostgresStore",
    "StoreUnavailable",
    "close_pool",
    "close_pools",
    "current",
    "latest",
    "upgrade",
]
