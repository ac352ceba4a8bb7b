"""An in-memory record store with a change feed: what most platform fakes need.

Every write stamps the record with ``updated_at`` from a :class:`Clock` (strictly increasing
unless a test freezes it, so boundary cases can be made on purpose) and bumps ``version``.
Deleted records stay as tombstones so the feed shows deletions. ``page`` serves an
updated-since read in ``(updated_at, id)`` order with keyset page tokens, which stay valid
while records change.
"""

from __future__ import annotations

import base64
import bisect
import datetime as dt
import threading
from collections.abc import Callable, Iterator
from typing import Any

import orjson


class Clock:
    """UTC time for a fake: strictly increasing, or frozen / shifted by a test."""

    def __init__(self) -> None:
        self.frozen: dt.datetime | None = None
        self.offset = dt.timedelta(0)
        self._last = dt.datetime.min.replace(tzinfo=dt.UTC)

    def now(self) -> dt.datetime:
        """The current time; never the same twice unless frozen."""
        if self.frozen is not None:
            return self.frozen
        now = dt.datetime.now(dt.UTC) + self.offset
        if now <= self._last:
            now = self._last + dt.timedelta(microseconds=1)
        self._last = now
        return now


def iso(moment: dt.datetime) -> str:
    """RFC 3339 in UTC with microseconds and a ``Z``."""
    return moment.astimezone(dt.UTC).isoformat(timespec="microseconds").replace("+00:00", "Z")


def parse_time(text: str) -> dt.datetime:
    """Parse an RFC 3339 time with any offset (or ``Z``); naive times are taken as UTC."""
    moment = dt.datetime.fromisoformat(text.replace("Z", "+00:00").replace(" ", "+"))
    return moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC)


def encode_token(updated_at: str, record_id: str) -> str:
    """A page token: the sort key of the last record served."""
    return base64.urlsafe_b64encode(orjson.dumps([updated_at, record_id])).decode()


def decode_token(token: str) -> tuple[str, str]:
    """The sort key a page token holds.

    Raises:
        ValueError: the token is not one this store issued.
    """
    try:
        updated_at, record_id = orjson.loads(base64.urlsafe_b64decode(token.encode()))
    except Exception:
        raise ValueError("invalid page token") from None
    return str(updated_at), str(record_id)


class FeedStore:
    """Records of one kind, by id, with versions, tombstones and an updated-since feed."""

    def __init__(self, clock: Clock, id_prefix: str, new_id: Callable[[int], str] | None = None):
        self.clock = clock
        self.records: dict[str, dict[str, Any]] = {}
        self._order: list[tuple[str, str]] = []  # (updated_at, id), sorted: the feed's index
        self._seq = 0
        self._prefix = id_prefix
        self._new_id = new_id
        self.lock = threading.RLock()
        # told (``created``, ``updated`` or ``deleted``, the record) after each change:
        # a fake's webhooks (fakes/toolkit/webhooks.py)
        self.listeners: list[Callable[[str, dict[str, Any]], None]] = []

    def next_id(self) -> str:
        """A fresh id."""
        self._seq += 1
        return self._new_id(self._seq) if self._new_id else f"{self._prefix}{self._seq:06d}"

    def create(self, fields: dict[str, Any], actor: str | None = None) -> dict[str, Any]:
        """Store a new record and return it."""
        with self.lock:
            now = iso(self.clock.now())
            record = {
                "id": self.next_id(),
                **fields,
                "created_at": now,
                "updated_at": now,
                "updated_by": actor,
                "version": 1,
                "deleted": False,
            }
            self.records[record["id"]] = record
            bisect.insort(self._order, (now, record["id"]))
            self._tell("created", record)
            return record

    def update(
        self, record_id: str, fields: dict[str, Any], actor: str | None = None
    ) -> dict[str, Any]:
        """Change a record's fields and return it.

        Raises:
            KeyError: no live record has that id.
        """
        with self.lock:
            record = self.get(record_id)
            old = (record["updated_at"], record_id)
            del self._order[bisect.bisect_left(self._order, old)]
            record.update(fields)
            record["updated_at"] = iso(self.clock.now())
            record["updated_by"] = actor
            record["version"] += 1
            bisect.insort(self._order, (record["updated_at"], record_id))
            self._tell("deleted" if fields.get("deleted") else "updated", record)
            return record

    def delete(self, record_id: str, actor: str | None = None) -> dict[str, Any]:
        """Turn a record into a tombstone."""
        with self.lock:
            return self.update(record_id, {"deleted": True}, actor)

    def _tell(self, kind: str, record: dict[str, Any]) -> None:
        for listener in self.listeners:
            listener(kind, dict(record))

    def get(self, record_id: str) -> dict[str, Any]:
        """A live record.

        Raises:
            KeyError: no live record has that id.
        """
        record = self.records.get(record_id)
        if record is None or record.get("deleted"):
            raise KeyError(record_id)
        return record

    def live(self) -> Iterator[dict[str, Any]]:
        """Every record that is not deleted."""
        return (r for r in self.records.values() if not r.get("deleted"))

    def page(
        self, updated_since: dt.datetime | None, token: str | None, limit: int
    ) -> tuple[list[dict[str, Any]], str | None]:
        """Records changed at or after ``updated_since``, oldest first, and the next token.

        Raises:
            ValueError: the page token is invalid.
        """
        start: tuple[str, str] = (iso(updated_since), "") if updated_since is not None else ("", "")
        if token:
            after = decode_token(token)
            start = max(start, (after[0], after[1] + "\x00"))
        with self.lock:
            first = bisect.bisect_left(self._order, start)
            keys = self._order[first : first + limit + 1]
            page = [dict(self.records[record_id]) for _, record_id in keys[:limit]]
        more = len(keys) > limit
        next_token = encode_token(page[-1]["updated_at"], page[-1]["id"]) if more else None
        return page, next_token
