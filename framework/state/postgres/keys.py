"""Match keys (G-3), held-back marks, and keys shared by duplicates (SQ-2)."""

from __future__ import annotations

from framework.state.postgres.connection import Connected


def like_escaped(text: str) -> str:
    """``text`` matched literally inside a LIKE pattern (backslash is the escape)."""
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


class Keys(Connected):
    """Normalised match keys of the store's tenant's records."""

    def index_keys(
        self, pair: str, entity: str, side: str, record_id: str, keys: dict[str, list[str]]
    ) -> None:
        """Replace the match keys of one record."""
        self._exec(
            "DELETE FROM keys WHERE tenant=%s AND pair=%s AND entity=%s AND side=%s AND id=%s",
            self.tenant,
            pair,
            entity,
            side,
            record_id,
        )
        self._many(
            "INSERT INTO keys VALUES (%s,%s,%s,%s,%s,%s,%s) ON CONFLICT DO NOTHING",
            [
                (self.tenant, pair, entity, side, name, value, record_id)
                for name, values in keys.items()
                for value in values
            ],
        )

    def index_new_keys(
        self, pair: str, entity: str, side: str, record_id: str, keys: dict[str, list[str]]
    ) -> None:
        """Index the match keys of a record that has none yet (see ``store.py``)."""
        rows = [
            (self.tenant, pair, entity, side, name, value, record_id)
            for name, values in keys.items()
            for value in values
        ]
        if rows:
            self._many(
                "INSERT INTO keys VALUES (%s,%s,%s,%s,%s,%s,%s) ON CONFLICT DO NOTHING", rows
            )

    def find_by_key_suffix(
        self, pair: str, entity: str, side: str, name: str, suffix: str
    ) -> list[str]:
        """Ids of records on ``side`` with a key ``name`` ending in ``suffix`` (phone digits)."""
        rows = self._all(  # a prefix of the reversed value: the index keys_tail
            "SELECT DISTINCT id FROM keys WHERE tenant=%s AND pair=%s AND entity=%s "
            "AND side=%s AND name=%s AND reverse(value) LIKE %s ORDER BY id",
            self.tenant,
            pair,
            entity,
            side,
            name,
            f"{like_escaped(suffix[::-1])}%",
        )
        return [str(r[0]) for r in rows]

    def find_by_keys(
        self, pair: str, entity: str, side: str, keys: dict[str, list[str]]
    ) -> list[str]:
        """Ids of records on ``side`` sharing any of ``keys``."""
        found: dict[str, None] = {}
        for name, values in keys.items():
            for value in values:
                for (record_id,) in self._all(
                    "SELECT id FROM keys WHERE tenant=%s AND pair=%s AND entity=%s AND side=%s "
                    "AND name=%s AND value=%s ORDER BY id",
                    self.tenant,
                    pair,
                    entity,
                    side,
                    name,
                    value,
                ):
                    found[record_id] = None
        return list(found)

    def has_keys(self, pair: str, entity: str, side: str, name: str) -> bool:
        """Whether any record on ``side`` is indexed under a key called ``name``."""
        row = self._one(  # in the primary key's order: else a scan until one is met (70 ms)
            "SELECT 1 FROM keys WHERE tenant=%s AND pair=%s AND entity=%s AND side=%s "
            "AND name=%s ORDER BY value LIMIT 1",
            self.tenant,
            pair,
            entity,
            side,
            name,
        )
        return row is not None

    def shared_keys(
        self, pair: str, entity: str, side: str, names: list[str]
    ) -> list[tuple[str, str, list[str]]]:
        """Key values (of the key ``names``) that two or more records on ``side`` share."""
        if not names:
            return []
        rows = self._all(  # the values kept shared by the trigger keys_shared (0005)
            "SELECT s.name, s.value, array_agg(k.id) FROM shared_values s JOIN keys k "
            "ON k.tenant=s.tenant AND k.pair=s.pair AND k.entity=s.entity AND k.side=s.side "
            "AND k.name=s.name AND k.value=s.value WHERE s.tenant=%s AND s.pair=%s "
            "AND s.entity=%s AND s.side=%s AND s.name = ANY(%s) "
            "GROUP BY s.name, s.value HAVING count(*) > 1 ORDER BY s.name, s.value",
            self.tenant,
            pair,
            entity,
            side,
            list(names),
        )
        return [(r[0], r[1], sorted(r[2])) for r in rows]

    # -- held back (marks are keys named ``held`` and ``waits_for``) -------------------------

    def set_held(
        self,
        pair: str,
        entity: str,
        side: str,
        record_id: str,
        reason: str | None,
        waits_for: str | None = None,
    ) -> None:
        """Mark a record held back for ``reason`` (``None``: no longer), waiting for a parent."""
        self._exec(
            "DELETE FROM keys WHERE tenant=%s AND pair=%s AND entity=%s AND side=%s AND id=%s "
            "AND name IN ('held', 'waits_for')",
            self.tenant,
            pair,
            entity,
            side,
            record_id,
        )
        marks = [("held", reason), ("waits_for", waits_for)] if reason else []
        self._many(
            "INSERT INTO keys VALUES (%s,%s,%s,%s,%s,%s,%s) ON CONFLICT DO NOTHING",
            [
                (self.tenant, pair, entity, side, name, value, record_id)
                for name, value in marks
                if value
            ],
        )

    def held_for(self, pair: str, entity: str, side: str, waits_for: str) -> list[str]:
        """Ids of records held back waiting for ``waits_for`` (a parent)."""
        return self.find_by_keys(pair, entity, side, {"waits_for": [waits_for]})

    def held_counts(self, pair: str) -> list[tuple[str, str, int]]:
        """How many records are held back, by entity and reason."""
        rows = self._all(
            "SELECT entity, value, count(*) FROM keys WHERE tenant=%s AND pair=%s "
            "AND name='held' GROUP BY entity, value ORDER BY entity, value",
            self.tenant,
            pair,
        )
        return [(str(r[0]), str(r[1]), int(r[2])) for r in rows]
