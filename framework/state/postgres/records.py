"""Records (shadows and mirrors) and links between the two sides."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import orjson

from framework.normalize import name_key
from framework.state.postgres.keys import Keys, like_escaped
from framework.state.sqlite import _settled_hash
from framework.state.store import Link, Settling, StoredRecord

_LINK_COLUMNS = "id, pair, entity, pos_id, platform_id, link_key, status"


_RECORD_UPSERT = (
    "INSERT INTO records (tenant, pair, entity, side, id, link_key, link_id, deleted, "
    "data, latest, hash, name_key) VALUES (%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s) "
    "ON CONFLICT (tenant, pair, entity, side, id) DO UPDATE SET "
    "link_key=excluded.link_key, link_id=excluded.link_id, deleted=excluded.deleted, "
    "data=excluded.data, latest=excluded.latest, hash=excluded.hash, "
    "name_key=excluded.name_key"
)


def _dump(value: Any) -> bytes | None:
    return None if value is None else orjson.dumps(value)


def _load(blob: bytes | None) -> Any:
    return None if blob is None else orjson.loads(blob)


def _column(side: str) -> str:
    return "pos_id" if side == "pos" else "platform_id"


class Records(Keys):
    """The last known state of each record, and the links of the store's tenant."""

    def record(self, pair: str, entity: str, side: str, record_id: str) -> StoredRecord | None:
        """The last known state of one record."""
        r = self._one(
            "SELECT link_key, link_id, deleted, data, latest FROM records "
            "WHERE tenant=%s AND pair=%s AND entity=%s AND side=%s AND id=%s",
            self.tenant,
            pair,
            entity,
            side,
            record_id,
        )
        if r is None:
            return None
        return StoredRecord(side, record_id, _load(r[3]), r[0], r[1], bool(r[2]), _load(r[4]))

    def records_of(
        self, pair: str, entity: str, side: str, ids: list[str]
    ) -> dict[str, StoredRecord]:
        """The last known state of each of ``ids`` that is known, by id (one read)."""
        rows = self._all(
            "SELECT id, link_key, link_id, deleted, data, latest FROM records "
            "WHERE tenant=%s AND pair=%s AND entity=%s AND side=%s AND id = ANY(%s)",
            self.tenant,
            pair,
            entity,
            side,
            list(ids),
        )
        return {
            str(r[0]): StoredRecord(
                side, str(r[0]), _load(r[4]), r[1], r[2], bool(r[3]), _load(r[5])
            )
            for r in rows
        }

    def put_record(self, pair: str, entity: str, rec: StoredRecord) -> None:
        """Store the last known state of one record."""
        self._exec(_RECORD_UPSERT, *self._record_row(pair, entity, rec))

    def _record_row(self, pair: str, entity: str, rec: StoredRecord) -> tuple[Any, ...]:
        return (
            self.tenant,
            pair,
            entity,
            rec.side,
            rec.id,
            rec.link_key,
            rec.link_id,
            rec.deleted,
            _dump(rec.data),
            _dump(rec.latest),
            _settled_hash(rec),
            name_key(rec.now),
        )

    def rename_record(self, pair: str, entity: str, side: str, old: str, new: str) -> None:
        """Give a record (and its link and keys) its real id once the system assigned it."""
        where = "tenant=%s AND pair=%s AND entity=%s AND side=%s AND id=%s"
        with self.transaction():
            self._exec(f"DELETE FROM records WHERE {where}", self.tenant, pair, entity, side, new)
            self._exec(
                f"UPDATE records SET id=%s WHERE {where}", new, self.tenant, pair, entity, side, old
            )
            column = _column(side)
            self._exec(
                f"UPDATE links SET {column}=%s WHERE tenant=%s AND pair=%s AND entity=%s "
                f"AND {column}=%s",
                new,
                self.tenant,
                pair,
                entity,
                old,
            )
            self._exec(f"DELETE FROM keys WHERE {where}", self.tenant, pair, entity, side, old)

    def settle_record(
        self,
        pair: str,
        entity: str,
        rec: StoredRecord,
        keys: dict[str, list[str]] | None,
        placeholder: str | None = None,
    ) -> None:
        """Store a written record's state and match keys at once (see ``store.py``)."""
        self.settle_records(pair, entity, [Settling(rec, keys, placeholder)])

    def settle_records(self, pair: str, entity: str, settled: list[Settling]) -> None:
        """``settle_record`` of several distinct records at once (see ``store.py``).

        One statement of each kind for a group of settling writes (``settle.py``).
        """
        if not settled:
            return
        where = "tenant=%s AND pair=%s AND entity=%s AND side=%s AND id = ANY(%s)"
        with self.transaction():
            for side in ("pos", "platform"):
                mine = [s for s in settled if s.record.side == side]
                renamed = [s for s in mine if s.placeholder not in (None, s.record.id)]
                olds = [str(s.placeholder) for s in renamed]
                if olds:
                    self._exec(
                        f"DELETE FROM records WHERE {where}", self.tenant, pair, entity, side, olds
                    )
                    column = _column(side)
                    self._many(
                        f"UPDATE links SET {column}=%s WHERE tenant=%s AND pair=%s AND entity=%s "
                        f"AND {column}=%s",
                        [(s.record.id, self.tenant, pair, entity, s.placeholder) for s in renamed],
                    )
                # A record's keys go when new ones are given, a placeholder's always.
                gone = olds + [s.record.id for s in mine if s.keys is not None]
                if gone:
                    self._exec(
                        f"DELETE FROM keys WHERE {where}", self.tenant, pair, entity, side, gone
                    )
            self._many(_RECORD_UPSERT, [self._record_row(pair, entity, s.record) for s in settled])
            self._many(
                "INSERT INTO keys VALUES (%s,%s,%s,%s,%s,%s,%s) ON CONFLICT DO NOTHING",
                [
                    (self.tenant, pair, entity, s.record.side, name, value, s.record.id)
                    for s in settled
                    for name, values in (s.keys or {}).items()
                    for value in values
                ],
            )

    def all_records(self, pair: str, entity: str) -> Iterator[StoredRecord]:
        """Every record of ``entity`` known on either side (for look-ups by people, SQ-3)."""
        rows = self._all(
            "SELECT side, id, data, link_key, link_id, deleted, latest FROM records "
            "WHERE tenant=%s AND pair=%s AND entity=%s ORDER BY side, id",
            self.tenant,
            pair,
            entity,
        )
        for r in rows:
            yield StoredRecord(r[0], r[1], _load(r[2]), r[3], r[4], bool(r[5]), _load(r[6]))

    def records_containing(
        self, pair: str, entity: str, fragments: list[str]
    ) -> Iterator[StoredRecord]:
        """Live records that may hold every fragment (ILIKE on the stored JSON; see store.py)."""
        stored = "COALESCE(latest, data)"
        text = f"convert_from({stored}, 'UTF8')"
        sql = (
            "SELECT side, id, data, link_key, link_id, deleted, latest FROM records "
            "WHERE tenant=%s AND pair=%s AND entity=%s AND NOT deleted"
        )
        args: list[Any] = [self.tenant, pair, entity]
        if fragments:
            likes = " AND ".join(f"{text} ILIKE %s" for _ in fragments)
            # Beyond ASCII (more bytes than characters): the caller tests it whole.
            beyond = f"octet_length({stored}) != length({text})"
            sql += f" AND (({likes}) OR {beyond})"
            args += [f"%{like_escaped(f)}%" for f in fragments]
        for r in self._all(sql + " ORDER BY side, id", *args):
            yield StoredRecord(r[0], r[1], _load(r[2]), r[3], r[4], bool(r[5]), _load(r[6]))

    def find_by_name(
        self, pair: str, entity: str, needle: str, limit: int | None = None
    ) -> list[tuple[str, str]]:
        """(side, id) of live records whose folded name holds ``needle``, in that order."""
        rows = self._all(
            "SELECT side, id FROM records WHERE tenant=%s AND pair=%s AND entity=%s "
            "AND NOT deleted AND strpos(name_key, %s) > 0 ORDER BY side, id LIMIT %s",
            self.tenant,
            pair,
            entity,
            needle,
            limit,
        )
        return [(str(side), str(record_id)) for side, record_id in rows]

    # -- links --------------------------------------------------------------------------------

    def _link_where(self, where: str, *args: Any) -> Link | None:
        row = self._one(f"SELECT {_LINK_COLUMNS} FROM links WHERE tenant=%s AND {where}", *args)
        return Link(*row) if row else None

    def link(self, link_id: int) -> Link:
        """One link by its id."""
        found = self._link_where("id=%s", self.tenant, link_id)
        if found is None:
            raise KeyError(f"no link {link_id}")
        return found

    def links_with_ids(self, link_ids: list[int]) -> dict[int, Link]:
        """The links of ``link_ids`` that exist, by id (one read)."""
        rows = self._all(
            f"SELECT {_LINK_COLUMNS} FROM links WHERE tenant=%s AND id = ANY(%s)",
            self.tenant,
            list(dict.fromkeys(link_ids)),
        )
        return {int(r[0]): Link(*r) for r in rows}

    def link_by_id(self, pair: str, entity: str, side: str, record_id: str) -> Link | None:
        """The link of the record ``record_id`` on ``side``."""
        return self._link_where(
            f"pair=%s AND entity=%s AND {_column(side)}=%s", self.tenant, pair, entity, record_id
        )

    def links_of(self, pair: str, entity: str, side: str, ids: list[str]) -> dict[str, Link]:
        """The links of the records ``ids`` on ``side`` that have one, by id (one read)."""
        rows = self._all(
            f"SELECT {_LINK_COLUMNS} FROM links WHERE tenant=%s AND pair=%s AND entity=%s "
            f"AND {_column(side)} = ANY(%s)",
            self.tenant,
            pair,
            entity,
            list(ids),
        )
        return {link.id_on(side): link for link in (Link(*r) for r in rows)}

    def link_by_key(self, pair: str, entity: str, link_key: str) -> Link | None:
        """The link carrying the shared code ``link_key`` (IS-3)."""
        return self._link_where(
            "pair=%s AND entity=%s AND link_key=%s ORDER BY id LIMIT 1",
            self.tenant,
            pair,
            entity,
            link_key,
        )

    def add_link(
        self, pair: str, entity: str, pos_id: str, platform_id: str, link_key: str | None
    ) -> Link:
        """Create a link."""
        row = self._one(
            "INSERT INTO links (tenant, pair, entity, pos_id, platform_id, link_key) "
            "VALUES (%s,%s,%s,%s,%s,%s) RETURNING id",
            self.tenant,
            pair,
            entity,
            pos_id,
            platform_id,
            link_key,
        )
        return Link(int(row[0]), pair, entity, pos_id, platform_id, link_key)

    def save_link(self, link: Link) -> None:
        """Store a link's ids, key and status."""
        self._exec(
            "UPDATE links SET pos_id=%s, platform_id=%s, link_key=%s, status=%s "
            "WHERE tenant=%s AND id=%s",
            link.pos_id,
            link.platform_id,
            link.link_key,
            link.status,
            self.tenant,
            link.id,
        )

    def drop_link(self, link_id: int) -> None:
        """Undo a link whose record was never made on one side (its create was refused)."""
        link = self.link(link_id)
        where = "tenant=%s AND pair=%s AND entity=%s AND side=%s AND id=%s"
        with self.transaction():
            for side in ("pos", "platform"):
                args = (self.tenant, link.pair, link.entity, side, link.id_on(side))
                if link.pending_on(side):
                    self._exec(f"DELETE FROM records WHERE {where}", *args)
                    self._exec(f"DELETE FROM keys WHERE {where}", *args)
                else:
                    self._exec(f"UPDATE records SET link_id=NULL WHERE {where}", *args)
            self._exec("DELETE FROM links WHERE tenant=%s AND id=%s", self.tenant, link_id)

    def links_count(self, pair: str, entity: str | None = None) -> int:
        """How many links exist."""
        if entity is None:
            row = self._one(
                "SELECT count(*) FROM links WHERE tenant=%s AND pair=%s", self.tenant, pair
            )
        else:
            row = self._one(
                "SELECT count(*) FROM links WHERE tenant=%s AND pair=%s AND entity=%s",
                self.tenant,
                pair,
                entity,
            )
        return int(row[0])

    def pending_count(self, pair: str, entity: str, side: str) -> int:
        """How many live links still wait for ``side`` to assign the record's id."""
        row = self._one(
            f"SELECT count(*) FROM links WHERE tenant=%s AND pair=%s AND entity=%s "
            f"AND status='ok' AND {_column(side)} LIKE '~%%'",
            self.tenant,
            pair,
            entity,
        )
        return int(row[0])
