"""The rows the state store hands out and takes.

Links, records, staged changes, journaled writes, problems, runs, merges, leases, history
and notifications; ``store.py`` says what each table keeps, and re-exports these.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any


@dataclass
class Link:
    """The ids of one record on both sides and the code they share."""

    id: int
    pair: str
    entity: str
    pos_id: str
    platform_id: str
    link_key: str | None = None
    status: str = "ok"

    def id_on(self, side: str) -> str:
        """This record's id on ``side`` (a ``~`` id is a placeholder while pending)."""
        return self.pos_id if side == "pos" else self.platform_id

    def pending_on(self, side: str) -> bool:
        """Whether the id on ``side`` is still a placeholder (the system assigns it later)."""
        return self.id_on(side).startswith("~")


@dataclass
class StoredRecord:
    """The last known state of one record on one side.

    ``data`` is the shadow of a linked record (the state last agreed on), or the mirror of
    an unlinked one. ``latest`` is a change seen but held back (out of scope, waiting for a
    parent): it is what the record is *now* when it is merged later, so nothing is lost.
    """

    side: str
    id: str
    data: dict[str, Any] | None
    link_key: str | None = None
    link_id: int | None = None
    deleted: bool = False
    latest: dict[str, Any] | None = None

    @property
    def now(self) -> dict[str, Any] | None:
        """The record as last seen: the held-back change, else the shadow."""
        return self.latest if self.latest is not None else self.data


@dataclass
class InboxEntry:
    """A staged change: which side it came from and the change itself (as a dict)."""

    seq: int
    entity: str
    side: str
    id: str
    change: dict[str, Any]


@dataclass
class Intent:
    """A journaled write: target side, the request, and the shadow to keep once applied."""

    seq: int
    pair: str
    entity: str
    side: str
    link_id: int | None
    request: dict[str, Any]
    expected: dict[str, Any] | None
    source: dict[str, Any] | None = None
    attempts: int = 0


@dataclass
class Problem:
    """A quarantined change: what, where, why, and under which rule (G-5)."""

    id: int
    pair: str
    entity: str
    side: str
    record_id: str
    rule: str
    reason: str
    payload: dict[str, Any] | None
    created_at: dt.datetime
    resolved_at: dt.datetime | None = None
    attempts: int = 1


@dataclass
class RunRecord:
    """One run of one pair."""

    id: int
    pair: str
    started_at: dt.datetime
    finished_at: dt.datetime | None
    status: str
    counts: dict[str, int] = field(default_factory=dict)
    calls: dict[str, int] = field(default_factory=dict)
    error: str | None = None


@dataclass
class MergeRecord:
    """A merge of duplicates a user asked for (SQ-2): who survived, who went, what was kept."""

    id: int
    pair: str
    entity: str
    side: str
    survivor: str
    merged: list[str]
    details: dict[str, Any]
    created_at: dt.datetime


@dataclass
class Lease:
    """Who runs a pair now: one process at a time holds a pair's lease (times: epoch seconds).

    ``ttl`` is the holder's own: a lease whose heartbeat is older than it has lapsed.
    """

    pair: str
    holder: str
    pid: int
    host: str
    started_at: float
    heartbeat_at: float
    ttl: float
    run_id: int | None = None


@dataclass
class HistoryEntry:
    """One thing that happened to one record: a field written, a link, a quarantine...

    ``action`` is what happened (``update``, ``create``, ``delete``, ``link``, ``unlink``,
    ``quarantine``, ``merge``, ``approve``, ``reject``, ``held``); ``field`` the field
    written (``None`` for the record as a whole); ``old``/``new`` its values (JSON);
    ``source`` the side the value came from, ``toward`` the side written; ``policy`` and
    ``rule`` what decided it; ``associate`` the POS associate recorded with it (G-8).
    """

    pair: str
    entity: str
    action: str
    pos_id: str | None = None
    platform_id: str | None = None
    link_id: int | None = None
    field: str | None = None
    old: Any = None
    new: Any = None
    source: str | None = None
    toward: str | None = None
    policy: str | None = None
    rule: str | None = None
    associate: str | None = None
    run_id: int | None = None
    note: str | None = None
    at: dt.datetime | None = None
    id: int | None = None


@dataclass
class Settling:
    """One written record to settle (``settle_records``), as ``settle_record`` takes it."""

    record: StoredRecord
    keys: dict[str, list[str]] | None
    placeholder: str | None = None


def page_keys(
    changes: list[tuple[dict[str, Any], dict[str, list[str]]]],
) -> dict[str, dict[str, list[str]]]:
    """The keys ``stage`` leaves each record of a page with, by id: its last change's.

    Staging replaces each record's keys (``index_keys``) for the whole page at once: a
    record staged twice in one page keeps the keys of its later change, as when each was
    replaced in turn. By the order of each id's last change.
    """
    last: dict[str, dict[str, list[str]]] = {}
    for change, keys in changes:
        last.pop(change["id"], None)
        last[change["id"]] = keys
    return last


@dataclass
class HeldWrite(Intent):
    """A journaled write a guard held back: the run that held it, the kind, and why."""

    run_id: int = 0
    kind: str = ""
    reason: str = ""


@dataclass
class StoredNotification:
    """One webhook event waiting for (or consumed by) a targeted run of its pair."""

    id: int
    pair: str
    system: str
    event_id: str
    entity: str
    kind: str
    record_ids: list[str]
    occurred_at: float | None
    received_at: float
    run_id: int | None = None


@dataclass
class WebhookStats:
    """What one system's webhooks did: counts by kind, and its last notification."""

    system: str
    counts: dict[str, int]
    last_at: float | None = None
    last_status: str | None = None
    last_event: str | None = None
