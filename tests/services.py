"""Services some tests need (PostgreSQL): skipped in one line where absent, required in CI.

``SYNCWRIGHT_TEST_POSTGRES`` names the server and database (default: the development
machine's ``postgresql://postgres@127.0.0.1:5432/test``). Each test gets a schema of its own,
upgraded by the real migrations and dropped afterwards, so parallel tests never meet.
Under ``SYNCWRIGHT_CI=1`` (``.ci/run``) a missing service fails the test instead.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from dataclasses import dataclass

import pytest

POSTGRES = os.environ.get("SYNCWRIGHT_TEST_POSTGRES", "postgresql://postgres@127.0.0.1:5432/test")


def require(service: str, reason: str) -> None:
    """Skip (one line) the test that needs ``service``, or fail it in CI."""
    line = f"{service} not available: {reason}"
    if os.environ.get("SYNCWRIGHT_CI") == "1":
        pytest.fail(f"{line} (required in CI: SYNCWRIGHT_CI=1)", pytrace=False)
    pytest.skip(line)


@dataclass(frozen=True)
class PgSchema:
    """A fresh schema in the test database, at this syncwright's version."""

    url: str
    schema: str

    def toml(self, tenant: str = "default") -> str:
        """The ``[state]`` table of a configuration using it."""
        return f'[state]\nurl = "{self.url}"\nschema = "{self.schema}"\ntenant = "{tenant}"\n'

    def state(self, tenant: str = "default") -> dict[str, str]:
        """The ``state`` settings of a configuration using it."""
        return {"url": self.url, "schema": self.schema, "tenant": tenant}


def postgres_schema() -> Iterator[PgSchema]:
    """A schema of its own for one test; dropped after it (use as a fixture body)."""
    try:
        import psycopg

        from framework.state.postgres import close_pool, upgrade
    except ImportError as exc:
        require("PostgreSQL", f"{exc.name} is not installed (pip install 'syncwright[fleet]')")
        raise
    try:
        psycopg.connect(POSTGRES, connect_timeout=3).close()
    except psycopg.Error as exc:
        require("PostgreSQL", " ".join(str(exc).split())[:200])
    schema = f"t_{uuid.uuid4().hex[:12]}"
    upgrade(POSTGRES, schema)
    try:
        yield PgSchema(POSTGRES, schema)
    finally:
        from framework.fleet.budgets import close_limiters

        close_limiters(POSTGRES, schema)  # their threads use the pool: stop them first
        close_pool(POSTGRES, schema)
        with psycopg.connect(POSTGRES, autocommit=True) as conn:
            conn.execute(f"DROP SCHEMA IF EXISTS {schema} CASCADE")
