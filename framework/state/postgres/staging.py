"""Cursors, staging and the inbox (see ``framework/state/store.py``)."""

from __future__ import annotations

from typing import Any

import orjson

from framework.state.postgres.keys import Keys
from framework.state.sqlite import content_hash
from framework.state.store import InboxEntry, page_keys


class Staging(Keys):
    """Cursors and staged changes of the store's tenant."""

    def cursor(self, pair: str, entity: str, side: str) -> str | None:
        """The stored cursor, or ``None`` before the first full read."""
        row = self._one(
            "SELECT cursor FROM cursors WHERE tenant=%s AND pair=%s AND entity=%s AND side=%s",
            self.tenant,
            pair,
            entity,
            side,
        )
        return row[0] if row else None

    def full_read_done(self, pair: str, entity: str, side: str) -> bool:
        """Whether a full read of this side has completed once (G-2)."""
        row = self._one(
            "SELECT full_done FROM cursors WHERE tenant=%s AND pair=%s AND entity=%s AND side=%s",
            self.tenant,
            pair,
            entity,
            side,
        )
        return bool(row and row[0])

    def stage(
        self,
        pair: str,
        entity: str,
        side: str,
        changes: list[tuple[dict[str, Any], dict[str, list[str]]]],
        cursor: str | None,
        finished: bool,
    ) -> None:
        """Stage a page of changes with their match keys and store its cursor, atomically."""
        with self.transaction():
            self._many(
                "INSERT INTO inbox (tenant, pair, entity, side, id, change) "
                "VALUES (%s,%s,%s,%s,%s,%s)",
                [(self.tenant, pair, entity, side, c["id"], orjson.dumps(c)) for c, _ in changes],
            )
            # Each record's keys replaced, one statement each for the page (not two a record).
            latest = page_keys(changes)
            if latest:
                self._exec(
                    "DELETE FROM keys WHERE tenant=%s AND pair=%s AND entity=%s AND side=%s "
                    "AND id = ANY(%s)",
                    self.tenant,
                    pair,
                    entity,
                    side,
                    list(latest),
                )
            self._many(
                "INSERT INTO keys VALUES (%s,%s,%s,%s,%s,%s,%s) ON CONFLICT DO NOTHING",
                [
                    (self.tenant, pair, entity, side, name, value, record_id)
                    for record_id, keys in latest.items()
                    for name, values in keys.items()
                    for value in values
                ],
            )
            self._exec(
                "INSERT INTO cursors (tenant, pair, entity, side, cursor, full_done) "
                "VALUES (%s,%s,%s,%s,%s,%s) ON CONFLICT (tenant, pair, entity, side) DO UPDATE "
                "SET cursor=excluded.cursor, full_done=cursors.full_done OR excluded.full_done",
                self.tenant,
                pair,
                entity,
                side,
                cursor,
                finished,
            )

    def unchanged(
        self, pair: str, entity: str, side: str, changes: list[dict[str, Any]]
    ) -> set[str]:
        """Ids of ``changes`` equal to their linked record's shadow, with no open problem."""
        wanted = {
            c["id"]: content_hash(c["record"], c.get("link_key"))
            for c in changes
            if c.get("record") is not None and not c.get("problem") and c.get("op") != "delete"
        }
        if not wanted:
            return set()
        rows = self._all(
            "SELECT id, hash FROM records WHERE tenant=%s AND pair=%s AND entity=%s AND side=%s "
            "AND id = ANY(%s) AND hash IS NOT NULL AND id NOT IN ("
            "SELECT record_id FROM problems WHERE tenant=%s AND pair=%s AND entity=%s "
            "AND side=%s AND resolved_at IS NULL AND record_id = ANY(%s))",
            self.tenant,
            pair,
            entity,
            side,
            list(wanted),
            self.tenant,
            pair,
            entity,
            side,
            list(wanted),
        )
        return {record_id for record_id, stored in rows if bytes(stored) == wanted[record_id]}

    def restage(self, pair: str, entity: str, side: str, change: dict[str, Any]) -> None:
        """Stage one change again (a retried problem), leaving the cursor alone."""
        self._exec(
            "INSERT INTO inbox (tenant, pair, entity, side, id, change) VALUES (%s,%s,%s,%s,%s,%s)",
            self.tenant,
            pair,
            entity,
            side,
            change["id"],
            orjson.dumps(change),
        )

    def inbox_batch(self, pair: str, entity: str, limit: int, after: int = 0) -> list[InboxEntry]:
        """Staged changes of ``entity`` after sequence number ``after``, oldest first."""
        rows = self._all(
            "SELECT seq, entity, side, id, change FROM inbox WHERE tenant=%s AND pair=%s "
            "AND entity=%s AND seq > %s ORDER BY seq LIMIT %s",
            self.tenant,
            pair,
            entity,
            after,
            limit,
        )
        return [InboxEntry(r[0], r[1], r[2], r[3], orjson.loads(r[4])) for r in rows]

    def inbox_for(self, pair: str, entity: str, side: str, record_id: str) -> list[InboxEntry]:
        """Every staged change of one record, oldest first."""
        rows = self._all(
            "SELECT seq, entity, side, id, change FROM inbox WHERE tenant=%s AND pair=%s "
            "AND entity=%s AND side=%s AND id=%s ORDER BY seq",
            self.tenant,
            pair,
            entity,
            side,
            record_id,
        )
        return [InboxEntry(r[0], r[1], r[2], r[3], orjson.loads(r[4])) for r in rows]

    def inbox_of(
        self, pair: str, entity: str, side: str, ids: list[str]
    ) -> dict[str, list[InboxEntry]]:
        """Every staged change of each of ``ids`` that has one, oldest first, by id (one read)."""
        rows = self._all(
            "SELECT seq, entity, side, id, change FROM inbox WHERE tenant=%s AND pair=%s "
            "AND entity=%s AND side=%s AND id = ANY(%s) ORDER BY seq",
            self.tenant,
            pair,
            entity,
            side,
            list(ids),
        )
        found: dict[str, list[InboxEntry]] = {}
        for r in rows:
            found.setdefault(r[3], []).append(
                InboxEntry(r[0], r[1], r[2], r[3], orjson.loads(r[4]))
            )
        return found

    def inbox_done(self, seqs: list[int]) -> None:
        """Drop reconciled changes."""
        if seqs:
            self._exec(
                "DELETE FROM inbox WHERE tenant=%s AND seq = ANY(%s)", self.tenant, list(seqs)
            )

    def inbox_count(self, pair: str, entity: str | None = None) -> int:
        """How many changes are staged."""
        if entity is None:
            row = self._one(
                "SELECT count(*) FROM inbox WHERE tenant=%s AND pair=%s", self.tenant, pair
            )
        else:
            row = self._one(
                "SELECT count(*) FROM inbox WHERE tenant=%s AND pair=%s AND entity=%s",
                self.tenant,
                pair,
                entity,
            )
        return int(row[0])
