"""Settling a group of written records in SQLite: one statement of each kind per group.

A mixin of :class:`framework.state.sqlite.SQLiteStore`. The engine settles the writes that
came back from a system in groups (``apply.py``, ``SETTLE_GROUP``), each group one
transaction; a statement per write and kind (the journal's row, the placeholder's row, the
link, the record, its keys) cost more than the write's own work. Here each kind is one
statement for the group: an ``executemany`` (the statement of one row, prepared once and
stepped in C for every row), and ``IN (...)`` to read.
"""

from __future__ import annotations

from collections.abc import Container, Iterator
from typing import Any

import orjson

from framework.state.sqlite_base import SQLiteBase, _load
from framework.state.sqlite_lookup import KEY_INSERT, key_rows
from framework.state.store import Intent, Link, Settling, StoredRecord

_PART = 512  # ids in one IN (...): well under SQLite's bound on parameters


def _parts(items: list[Any]) -> Iterator[list[Any]]:
    """``items`` in parts of a few sizes (8, 16, ... 512; the last id repeated to fill one).

    An IN list of each length is a statement of its own to SQLite's statement cache (128 a
    connection): lists of any length would push the engine's other statements out of it.
    """
    for start in range(0, len(items), _PART):
        part = items[start : start + _PART]
        size = 8
        while size < len(part):
            size *= 2
        yield part + part[-1:] * (size - len(part))


_INTENT = (
    "SELECT seq, pair, entity, side, link_id, request, expected, source, attempts FROM journal"
)


def _intents(rows: Iterator[Any]) -> list[Intent]:
    return [
        Intent(r[0], r[1], r[2], r[3], r[4], orjson.loads(r[5]), _load(r[6]), _load(r[7]), r[8])
        for r in rows
    ]


def _marks(part: list[Any]) -> str:
    return ",".join("?" * len(part))


class SettleSQL(SQLiteBase):
    """The batched writes of settling.

    The interface: ``settle_records``, ``intents``, ``intents_but``, ``intents_done``,
    ``links_with_ids`` in ``framework/state/store.py``.
    """

    def _put_records(self, pair: str, entity: str, recs: list[StoredRecord]) -> None:
        """Provided by :class:`SQLiteStore`."""
        raise NotImplementedError

    def settle_records(self, pair: str, entity: str, settled: list[Settling]) -> None:
        """``settle_record`` of several distinct records at once (see ``store.py``)."""
        if not settled:
            return
        with self.transaction():
            for side in ("pos", "platform"):
                mine = [s for s in settled if s.record.side == side]
                renamed = [s for s in mine if s.placeholder not in (None, s.record.id)]
                olds = [str(s.placeholder) for s in renamed]
                # One executemany a kind: the one-row statement, prepared once, run for each.
                if renamed:
                    self._db.executemany(
                        "DELETE FROM records WHERE pair=? AND entity=? AND side=? AND id=?",
                        [(pair, entity, side, old) for old in olds],
                    )
                    column = "pos_id" if side == "pos" else "platform_id"
                    self._db.executemany(
                        f"UPDATE links SET {column}=? WHERE pair=? AND entity=? AND {column}=?",
                        [(s.record.id, pair, entity, s.placeholder) for s in renamed],
                    )
                # A record's keys go when new ones are given, a placeholder's always.
                gone = olds + [s.record.id for s in mine if s.keys is not None]
                if gone:
                    self._db.executemany(
                        "DELETE FROM keys WHERE pair=? AND entity=? AND side=? AND id=?",
                        [(pair, entity, side, one) for one in gone],
                    )
            self._put_records(pair, entity, [s.record for s in settled])
            rows = [
                row
                for s in settled
                for row in key_rows(pair, entity, s.record.side, s.record.id, s.keys or {})
            ]
            if rows:
                self._db.executemany(KEY_INSERT, rows)

    def intents(self, pair: str, entity: str | None = None) -> list[Intent]:
        """Journaled writes not yet applied, oldest first."""
        return self.intents_but(pair, entity, ())

    def intents_but(self, pair: str, entity: str | None, skip: Container[int]) -> list[Intent]:
        """``intents`` less the writes of ``skip``, whose JSON is not parsed.

        The engine asks for the writes not queued yet, at every chunk, while up to
        ``QUEUE_LIMIT`` are queued (``apply.py``): parsing them all each time took 2/3 of
        ``Applier.apply``.
        """
        where = "pair=? AND held_run IS NULL" + (" AND entity=?" if entity is not None else "")
        args: tuple[Any, ...] = (pair,) if entity is None else (pair, entity)
        if not skip:
            return _intents(self._db.execute(f"{_INTENT} WHERE {where} ORDER BY seq", args))
        seqs = [r[0] for r in self._db.execute(f"SELECT seq FROM journal WHERE {where}", args)]
        wanted = sorted(seq for seq in seqs if seq not in skip)
        out: list[Intent] = []
        for part in _parts(wanted):  # each part in order, the parts one after the other
            sql = f"{_INTENT} WHERE seq IN ({_marks(part)}) AND {where} ORDER BY seq"
            out += _intents(self._db.execute(sql, (*part, *args)))
        return out

    def intents_done(self, seqs: list[int]) -> None:
        """Drop several applied (or quarantined) writes."""
        if seqs:
            self._db.executemany("DELETE FROM journal WHERE seq=?", [(seq,) for seq in seqs])

    def links_with_ids(self, link_ids: list[int]) -> dict[int, Link]:
        """The links of ``link_ids`` that exist, by id."""
        found: dict[int, Link] = {}
        for part in _parts(list(dict.fromkeys(link_ids))):
            rows = self._db.execute(
                "SELECT id, pair, entity, pos_id, platform_id, link_key, status FROM links "
                f"WHERE id IN ({_marks(part)})",
                part,
            )
            for row in rows:
                found[int(row[0])] = Link(*row)
        return found
