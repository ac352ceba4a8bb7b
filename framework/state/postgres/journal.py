"""The journal: writes decided and not yet confirmed, replayed on resume (G-5, G-6)."""

from __future__ import annotations

from collections.abc import Container
from typing import Any

import orjson

from framework.state.postgres.connection import Connected
from framework.state.postgres.records import _dump, _load
from framework.state.store import Intent


class Journal(Connected):
    """Journaled writes of the store's tenant."""

    def add_intent(
        self,
        pair: str,
        entity: str,
        side: str,
        link_id: int | None,
        request: dict[str, Any],
        expected: dict[str, Any] | None,
        source: dict[str, Any] | None,
    ) -> int:
        """Journal a write before it is made."""
        row = self._one(
            "INSERT INTO journal (tenant, pair, entity, side, link_id, request, expected, "
            "source) VALUES (%s,%s,%s,%s,%s,%s,%s,%s) RETURNING seq",
            self.tenant,
            pair,
            entity,
            side,
            link_id,
            orjson.dumps(request),
            _dump(expected),
            _dump(source),
        )
        return int(row[0])

    def intents(self, pair: str, entity: str | None = None) -> list[Intent]:
        """Journaled writes not yet applied, oldest first."""
        return self.intents_but(pair, entity, ())

    def intents_but(self, pair: str, entity: str | None, skip: Container[int]) -> list[Intent]:
        """``intents`` less the writes of ``skip``, whose JSON is not parsed (see SQLite's)."""
        sql = (
            "SELECT seq, pair, entity, side, link_id, request, expected, source, attempts "
            "FROM journal WHERE tenant=%s AND pair=%s AND held_run IS NULL"
        )
        args: tuple[Any, ...] = (self.tenant, pair)
        if entity is not None:
            sql += " AND entity=%s"
            args += (entity,)
        return [
            Intent(r[0], r[1], r[2], r[3], r[4], orjson.loads(r[5]), _load(r[6]), _load(r[7]), r[8])
            for r in self._all(sql + " ORDER BY seq", *args)
            if r[0] not in skip
        ]

    def intent_done(self, seq: int) -> None:
        """Drop an applied (or quarantined) write."""
        self._exec("DELETE FROM journal WHERE tenant=%s AND seq=%s", self.tenant, seq)

    def intents_done(self, seqs: list[int]) -> None:
        """Drop several applied (or quarantined) writes (one statement: a settled group)."""
        if seqs:
            self._exec(
                "DELETE FROM journal WHERE tenant=%s AND seq = ANY(%s)", self.tenant, list(seqs)
            )

    def intent_attempted(self, seq: int) -> None:
        """Count one failed attempt of a write."""
        self._exec(
            "UPDATE journal SET attempts = attempts + 1 WHERE tenant=%s AND seq=%s",
            self.tenant,
            seq,
        )
