"""Quarantined changes (problems) in SQLite.

A mixin of :class:`framework.state.sqlite.SQLiteStore` (kept here so that module does not
grow); the interface is the "problems" block of ``framework/state/store.py``.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from framework.state.sqlite_base import SQLiteBase, _dump, _load, _now
from framework.state.sqlite_lookup import _parts
from framework.state.store import Problem


class ProblemsSQL(SQLiteBase):
    """Problems: a change that could not be applied, kept until it is resolved."""

    def add_problem(
        self,
        pair: str,
        entity: str,
        side: str,
        record_id: str,
        rule: str,
        reason: str,
        payload: dict[str, Any] | None,
    ) -> int:
        """Quarantine a change (or bump the attempts of the same open problem)."""
        same = self._one(
            "SELECT id FROM problems WHERE pair=? AND entity=? AND side=? AND record_id=? "
            "AND reason=? AND resolved_at IS NULL",
            pair,
            entity,
            side,
            record_id,
            reason,
        )
        if same:
            self._db.execute(
                "UPDATE problems SET attempts = attempts + 1, payload=? WHERE id=?",
                (_dump(payload), same[0]),
            )
            return int(same[0])
        cur = self._db.execute(
            "INSERT INTO problems (pair, entity, side, record_id, rule, reason, payload, "
            "created_at) VALUES (?,?,?,?,?,?,?,?)",
            (pair, entity, side, record_id, rule, reason, _dump(payload), _now()),
        )
        assert cur.lastrowid is not None
        return cur.lastrowid

    _PROBLEM_COLUMNS = (
        "id, pair, entity, side, record_id, rule, reason, payload, created_at, resolved_at, "
        "attempts"
    )

    def _problem(self, r: Any) -> Problem:
        return Problem(
            r[0],
            r[1],
            r[2],
            r[3],
            r[4],
            r[5],
            r[6],
            _load(r[7]),
            dt.datetime.fromisoformat(r[8]),
            dt.datetime.fromisoformat(r[9]) if r[9] else None,
            r[10],
        )

    def problems(self, pair: str | None = None, *, open_only: bool = True) -> list[Problem]:
        """Quarantined changes, oldest first."""
        sql = f"SELECT {self._PROBLEM_COLUMNS} FROM problems WHERE 1=1"
        args: tuple[Any, ...] = ()
        if pair is not None:
            sql += " AND pair=?"
            args += (pair,)
        if open_only:
            sql += " AND resolved_at IS NULL"
        return [self._problem(r) for r in self._db.execute(sql + " ORDER BY id", args)]

    def problem(self, problem_id: int) -> Problem | None:
        """One problem by id."""
        r = self._one(f"SELECT {self._PROBLEM_COLUMNS} FROM problems WHERE id=?", problem_id)
        return self._problem(r) if r else None

    def resolve_problem(self, problem_id: int) -> None:
        """Mark one problem resolved."""
        self._db.execute("UPDATE problems SET resolved_at=? WHERE id=?", (_now(), problem_id))

    def problems_of(self, pair: str, entity: str, side: str, record_id: str) -> list[Problem]:
        """One record's open problems, oldest first."""
        rows = self._db.execute(
            f"SELECT {self._PROBLEM_COLUMNS} FROM problems WHERE pair=? AND entity=? AND side=? "
            "AND record_id=? AND resolved_at IS NULL ORDER BY id",
            (pair, entity, side, record_id),
        )
        return [self._problem(r) for r in rows]

    def open_problems_of(
        self, pair: str, entity: str, side: str, ids: list[str]
    ) -> dict[str, list[Problem]]:
        """The open problems of each of ``ids`` that has any, oldest first, by id (one read)."""
        found: dict[str, list[Problem]] = {}
        for part in _parts(ids):
            rows = self._db.execute(
                f"SELECT {self._PROBLEM_COLUMNS} FROM problems WHERE pair=? AND entity=? "
                f"AND side=? AND record_id IN ({','.join('?' * len(part))}) "
                "AND resolved_at IS NULL ORDER BY id",
                (pair, entity, side, *part),
            )
            for r in rows:
                found.setdefault(r[4], []).append(self._problem(r))
        return found
