"""Problems: quarantined changes with their reason and rule, until retried or resolved (G-5)."""

from __future__ import annotations

from typing import Any

from framework.state.postgres.connection import Connected
from framework.state.postgres.records import _dump, _load
from framework.state.store import Problem

_COLUMNS = (
    "id, pair, entity, side, record_id, rule, reason, payload, created_at, resolved_at, attempts"
)


def _problem(r: Any) -> Problem:
    return Problem(r[0], r[1], r[2], r[3], r[4], r[5], r[6], _load(r[7]), r[8], r[9], r[10])


class Problems(Connected):
    """The store's tenant's quarantine."""

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
            "SELECT id FROM problems WHERE tenant=%s AND pair=%s AND entity=%s AND side=%s "
            "AND record_id=%s AND reason=%s AND resolved_at IS NULL ORDER BY id LIMIT 1",
            self.tenant,
            pair,
            entity,
            side,
            record_id,
            reason,
        )
        if same:
            self._exec(
                "UPDATE problems SET attempts = attempts + 1, payload=%s WHERE id=%s",
                _dump(payload),
                same[0],
            )
            return int(same[0])
        row = self._one(
            "INSERT INTO problems (tenant, pair, entity, side, record_id, rule, reason, "
            "payload) VALUES (%s,%s,%s,%s,%s,%s,%s,%s) RETURNING id",
            self.tenant,
            pair,
            entity,
            side,
            record_id,
            rule,
            reason,
            _dump(payload),
        )
        return int(row[0])

    def problems(self, pair: str | None = None, *, open_only: bool = True) -> list[Problem]:
        """Quarantined changes, oldest first."""
        sql = f"SELECT {_COLUMNS} FROM problems WHERE tenant=%s"
        args: tuple[Any, ...] = (self.tenant,)
        if pair is not None:
            sql += " AND pair=%s"
            args += (pair,)
        if open_only:
            sql += " AND resolved_at IS NULL"
        return [_problem(r) for r in self._all(sql + " ORDER BY id", *args)]

    def problem(self, problem_id: int) -> Problem | None:
        """One problem by id."""
        r = self._one(
            f"SELECT {_COLUMNS} FROM problems WHERE tenant=%s AND id=%s", self.tenant, problem_id
        )
        return _problem(r) if r else None

    def resolve_problem(self, problem_id: int) -> None:
        """Mark one problem resolved."""
        self._exec(
            "UPDATE problems SET resolved_at=now() WHERE tenant=%s AND id=%s",
            self.tenant,
            problem_id,
        )

    def problems_of(self, pair: str, entity: str, side: str, record_id: str) -> list[Problem]:
        """One record's open problems, oldest first."""
        rows = self._all(
            f"SELECT {_COLUMNS} FROM problems WHERE tenant=%s AND pair=%s AND entity=%s "
            "AND side=%s AND record_id=%s AND resolved_at IS NULL ORDER BY id",
            self.tenant,
            pair,
            entity,
            side,
            record_id,
        )
        return [_problem(r) for r in rows]

    def open_problems_of(
        self, pair: str, entity: str, side: str, ids: list[str]
    ) -> dict[str, list[Problem]]:
        """The open problems of each of ``ids`` that has any, oldest first, by id (one read)."""
        rows = self._all(
            f"SELECT {_COLUMNS} FROM problems WHERE tenant=%s AND pair=%s AND entity=%s "
            "AND side=%s AND record_id = ANY(%s) AND resolved_at IS NULL ORDER BY id",
            self.tenant,
            pair,
            entity,
            side,
            list(ids),
        )
        found: dict[str, list[Problem]] = {}
        for r in rows:
            found.setdefault(r[4], []).append(_problem(r))
        return found
