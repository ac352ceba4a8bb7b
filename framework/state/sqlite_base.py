"""What every part of the SQLite store stands on: transactions, reads, times and JSON.

:class:`SQLiteBase` is the base of the store's mixins (``sqlite_*.py``) and so of
:class:`framework.state.sqlite.SQLiteStore`, which opens the connection, as ``Connected``
is the PostgreSQL store's (``postgres/connection.py``).
"""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import orjson

_second: tuple[int, str] = (-1, "")  # the second ``_now`` formatted last, and its text


def _now() -> str:
    """``datetime.now(UTC).isoformat()``, at under half its cost (issue 17).

    Called for every link, intent and history row: the date and time to the second are
    formatted once a second, the microseconds each call, as ``isoformat`` writes them
    (none when they are 0). The pair is swapped whole: threads share it.
    """
    global _second
    second, micro = divmod(time.time_ns() // 1000, 1_000_000)
    last = _second
    if last[0] != second:
        last = _second = (second, time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(second)))
    return f"{last[1]}.{micro:06d}+00:00" if micro else f"{last[1]}+00:00"


def _dump(value: Any) -> bytes | None:
    return None if value is None else orjson.dumps(value)


def _load(blob: bytes | None) -> Any:
    return None if blob is None else orjson.loads(blob)


class SQLiteBase:
    """The connection's plumbing: transactions, savepoints, a one-row read."""

    _db: sqlite3.Connection
    _depth: int = 0
    """How deep the transaction in hand is nested (0: none)."""

    @contextmanager
    def transaction(self) -> Iterator[None]:
        """A transaction; nested calls join the outer one."""
        if self._depth:
            self._depth += 1
            try:
                yield
            finally:
                self._depth -= 1
            return
        self._db.execute("BEGIN IMMEDIATE")
        self._depth = 1
        try:
            yield
        except BaseException:
            self._depth = 0
            self._db.execute("ROLLBACK")
            raise
        self._depth = 0
        self._db.execute("COMMIT")

    @contextmanager
    def savepoint(self) -> Iterator[None]:
        """A savepoint inside the current transaction, rolled back alone if its block raises."""
        self._db.execute("SAVEPOINT record")
        try:
            yield
        except BaseException:
            self._db.execute("ROLLBACK TO record")
            self._db.execute("RELEASE record")
            raise
        self._db.execute("RELEASE record")

    def _one(self, sql: str, *args: Any) -> Any:
        return self._db.execute(sql, args).fetchone()
