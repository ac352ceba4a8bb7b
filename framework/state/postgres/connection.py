"""The plumbing of the PostgreSQL store: pools, one connection per store, transactions.

One pool per (URL, schema) in a process, shared by every store opened on it: a worker's
jobs and each run's lease heartbeat (``reopen``) take a connection from it and give it back
when they close. Connections are in autocommit mode, like the SQLite store's: a statement
outside :meth:`Connected.transaction` commits alone.

Every table carries the ``tenant`` the store is bound to (one store of a fleet), first in
each key: many stores' pairs share one database and one schema, never each other's rows.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import psycopg
from psycopg_pool import ConnectionPool

from framework.errors import SyncwrightError
from framework.state.factory import shown

NAME = re.compile(r"^[a-z_][a-z0-9_]{0,62}$")
POOL_SIZE = 16

_pools: dict[tuple[str, str, bool], ConnectionPool[psycopg.Connection[Any]]] = {}
_pools_lock = threading.Lock()


class StoreUnavailable(SyncwrightError):
    """The PostgreSQL server cannot be reached, or its schema is not ready."""


def check_name(kind: str, name: str) -> str:
    """A schema name as PostgreSQL takes it unquoted (lower case, digits, underscores).

    Raises:
        SyncwrightError: one line naming the value and what is allowed.
    """
    if not NAME.match(name):
        raise SyncwrightError(
            f"state {kind} {name!r}: use lower-case letters, digits and underscores "
            "(at most 63, not starting with a digit)"
        )
    return name


def pool(
    url: str, schema: str, size: int = POOL_SIZE, *, autocommit: bool = True
) -> ConnectionPool[psycopg.Connection[Any]]:
    """The process's pool of connections to ``url`` with ``schema`` as the search path.

    ``autocommit=False`` gives connections that commit when given back (a library's own
    transactions: the shared rate budgets).

    Raises:
        StoreUnavailable: the server did not answer (one line, no password).
    """
    check_name("schema", schema)
    key = (url, schema, autocommit)
    with _pools_lock:
        found = _pools.get(key)
        if found is not None and not found.closed:
            return found
        try:  # one direct try first: a clear reason, not a pool retrying in the log
            psycopg.connect(url, connect_timeout=10).close()
        except psycopg.Error as exc:
            reason = " ".join(str(exc).split()) or type(exc).__name__
            raise StoreUnavailable(
                f"the PostgreSQL state store {shown(url)} cannot be reached: {reason}"
            ) from None
        made: ConnectionPool[psycopg.Connection[Any]] = ConnectionPool(
            url,
            min_size=1,
            max_size=size,
            kwargs={
                "autocommit": autocommit,
                "options": f"-c search_path={schema} -c timezone=UTC",
            },
            open=True,
            name=f"syncwright-{schema}",
        )
        _pools[key] = made
        return made


def close_pool(url: str, schema: str) -> None:
    """Close the pool of ``url`` and ``schema`` (a test's schema, before it is dropped)."""
    with _pools_lock:
        found = [_pools.pop((url, schema, mode), None) for mode in (True, False)]
    for made in found:
        if made is not None:
            made.close()


def close_pools() -> None:
    """Close every pool of this process (tests, a worker shutting down)."""
    with _pools_lock:
        for made in _pools.values():
            made.close()
        _pools.clear()


class Connected:
    """One connection from the pool for the store's life, bound to one tenant."""

    def __init__(self, url: str, *, schema: str = "syncwright", tenant: str = "default"):
        self.url = url
        self.schema = schema
        self.tenant = tenant
        self._pool = pool(url, schema)
        self._conn: psycopg.Connection[Any] = self._pool.getconn()
        self._depth = 0
        self._closed = False

    # -- transactions ------------------------------------------------------------------------

    @contextmanager
    def transaction(self) -> Iterator[None]:
        """A transaction; nested calls join the outer one (as in the SQLite store)."""
        if self._depth:
            self._depth += 1
            try:
                yield
            finally:
                self._depth -= 1
            return
        self._depth = 1
        try:
            with self._conn.transaction():
                yield
        finally:
            self._depth = 0

    @contextmanager
    def savepoint(self) -> Iterator[None]:
        """A savepoint inside the current transaction, rolled back alone if its block raises."""
        with self._conn.transaction():
            yield

    def close(self) -> None:
        """Give the connection back to the pool."""
        if not self._closed:
            self._closed = True
            self._pool.putconn(self._conn)

    # -- statements (every one names the tenant itself) --------------------------------------

    def _exec(self, sql: str, *args: Any) -> psycopg.Cursor[Any]:
        return self._conn.execute(sql, args)

    def _one(self, sql: str, *args: Any) -> Any:
        return self._exec(sql, *args).fetchone()

    def _all(self, sql: str, *args: Any) -> list[Any]:
        return self._exec(sql, *args).fetchall()

    def _many(self, sql: str, rows: list[tuple[Any, ...]]) -> None:
        if rows:
            with self._conn.cursor() as cur:
                cur.executemany(sql, rows)
