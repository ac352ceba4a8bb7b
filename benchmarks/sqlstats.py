"""The SQL statements of a profiled run (``--profile``): how many of each, and their time.

The engine's own work per record is mostly statements to its state store (issue 17); a
profile by function says ``Connection.execute`` and no more. Installed before the engine
opens its store, this times every statement the SQLite store runs, grouped by its text.
"""

from __future__ import annotations

import sqlite3
import threading
import time
from collections import defaultdict
from typing import Any


class StatementTimer:
    """Counts and times the statements of every SQLite connection opened after :meth:`install`."""

    def __init__(self) -> None:
        self.stats: defaultdict[str, list[float]] = defaultdict(lambda: [0, 0.0])
        self._lock = threading.Lock()  # the lease's heartbeat runs statements too
        self._connect: Any = None

    def _add(self, sql: str, started: float) -> None:
        took = time.perf_counter() - started
        key = " ".join(sql.split())
        with self._lock:
            entry = self.stats[key]
            entry[0] += 1
            entry[1] += took

    def install(self) -> None:
        """Make ``sqlite3.connect`` return timed connections (this process, from now on)."""
        timer = self

        class Timed(sqlite3.Connection):
            def execute(self, sql: str, *args: Any) -> sqlite3.Cursor:
                started = time.perf_counter()
                try:
                    return super().execute(sql, *args)
                finally:
                    timer._add(sql, started)

            def executemany(self, sql: str, *args: Any) -> sqlite3.Cursor:
                started = time.perf_counter()
                try:
                    return super().executemany(sql, *args)
                finally:
                    timer._add("(many) " + sql, started)

        connect = self._connect = sqlite3.connect

        def timed_connect(*args: Any, **kwargs: Any) -> sqlite3.Connection:
            kwargs.setdefault("factory", Timed)
            opened: sqlite3.Connection = connect(*args, **kwargs)
            return opened

        sqlite3.connect = timed_connect  # type: ignore[assignment]

    def uninstall(self) -> None:
        """``sqlite3.connect`` as it was (connections opened meanwhile stay timed)."""
        if self._connect is not None:
            sqlite3.connect = self._connect
            self._connect = None

    def top(self, n: int = 20) -> dict[str, Any]:
        """The ``n`` statements that took longest, with the totals."""
        rows = sorted(self.stats.items(), key=lambda kv: -kv[1][1])
        return {
            "statements": int(sum(v[0] for v in self.stats.values())),
            "seconds": sum(v[1] for v in self.stats.values()),
            "top": [
                {"sql": sql[:160], "count": int(count), "seconds": seconds}
                for sql, (count, seconds) in rows[:n]
            ],
        }
