"""What the engine keeps between runs, as an interface: the SQLite file is one implementation.

- **records**: the last known state of every record on each side. For a linked record it is
  that side's *shadow*: what the three-way merge compares a fetched change with (G-4), with
  a content hash so that a re-read equal to it is not even staged (``unchanged``).
- **links**: pairs of ids (POS, platform) that are the same record, and the shared code.
- **keys**: normalised match keys of records, for match-before-create (G-3).
- **inbox**: changes fetched and staged, not yet reconciled. A page is staged and its cursor
  stored in one transaction, so a cursor never runs ahead of what is durable (G-2, G-5).
- **journal**: writes decided and not yet confirmed (intent -> applied), replayed on resume.
- **problems**: quarantined changes with their reason and rule, until retried or resolved.
- **runs** and **moves**: run history and what moved where under which rule.
- **leases**: which process runs a pair now (one at a time), with its heartbeat.
- **history**: every write the engine made, per field, with the rule behind it, and links,
  unlinks, quarantines, merges and approvals (kept a configurable time, pruned by runs).
- **apart**: pairs of records an operator said are not the same (never matched again).
- held writes: journaled writes a guard held back (a mass change), until approved or
  rejected (``journal`` rows with a held run and reason).
- **notifications** and **webhook counts**: webhook events received by ``syncwright serve``,
  kept (de-duplicated by event id) until a targeted run of their pair read their records,
  and counts per system (received, verified, rejected, duplicates, runs triggered).

The rows it hands out and takes (``Link``, ``StoredRecord``, ``Intent``, ...) are in
``rows.py``, and importable from here.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Container, Iterator
from contextlib import AbstractContextManager
from typing import Any, Protocol

from framework.state.rows import (
    HeldWrite,
    HistoryEntry,
    InboxEntry,
    Intent,
    Lease,
    Link,
    MergeRecord,
    Problem,
    RunRecord,
    Settling,
    StoredNotification,
    StoredRecord,
    WebhookStats,
    page_keys,
)

__all__ = [
    "MOVE_LOG_RUNS",
    "WEBHOOK_COUNTERS",
    "HeldWrite",
    "HistoryEntry",
    "InboxEntry",
    "Intent",
    "Lease",
    "Link",
    "MergeRecord",
    "Problem",
    "RunRecord",
    "Settling",
    "StateStore",
    "StoredNotification",
    "StoredRecord",
    "WebhookStats",
    "page_keys",
]


# Both stores keep the move log of this many recent runs (of a tenant); older ones are pruned
# when a run starts.
MOVE_LOG_RUNS = 50

WEBHOOK_COUNTERS = ("received", "verified", "rejected", "duplicates", "runs")


class StateStore(Protocol):
    """The operations the engine needs from its state store."""

    def transaction(self) -> AbstractContextManager[None]:
        """A transaction; everything inside commits together or not at all."""
        ...

    def savepoint(self) -> AbstractContextManager[None]:
        """A savepoint inside a transaction: rolled back alone if its block raises."""
        ...

    def close(self) -> None:
        """Close the store."""
        ...

    # cursors
    def cursor(self, pair: str, entity: str, side: str) -> str | None:
        """The stored cursor, or ``None`` before the first full read."""
        ...

    def full_read_done(self, pair: str, entity: str, side: str) -> bool:
        """Whether a full read of this side has completed once (G-2)."""
        ...

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
        ...

    def unchanged(
        self, pair: str, entity: str, side: str, changes: list[dict[str, Any]]
    ) -> set[str]:
        """Ids of ``changes`` equal to their linked record's shadow, with no open problem."""
        ...

    def restage(self, pair: str, entity: str, side: str, change: dict[str, Any]) -> None:
        """Stage one change again (a retried problem), leaving the cursor alone."""
        ...

    # inbox
    def inbox_batch(self, pair: str, entity: str, limit: int, after: int = 0) -> list[InboxEntry]:
        """Staged changes of ``entity`` after sequence number ``after``, oldest first."""
        ...

    def inbox_for(self, pair: str, entity: str, side: str, record_id: str) -> list[InboxEntry]:
        """Every staged change of one record, oldest first."""
        ...

    def inbox_of(
        self, pair: str, entity: str, side: str, ids: list[str]
    ) -> dict[str, list[InboxEntry]]:
        """Every staged change of each of ``ids`` that has one, oldest first, by id (one read)."""
        ...

    def inbox_done(self, seqs: list[int]) -> None:
        """Drop reconciled changes."""
        ...

    def inbox_count(self, pair: str, entity: str | None = None) -> int:
        """How many changes are staged."""
        ...

    # records, links, keys
    def record(self, pair: str, entity: str, side: str, record_id: str) -> StoredRecord | None:
        """The last known state of one record."""
        ...

    def records_of(
        self, pair: str, entity: str, side: str, ids: list[str]
    ) -> dict[str, StoredRecord]:
        """The last known state of each of ``ids`` that is known, by id (one read)."""
        ...

    def put_record(self, pair: str, entity: str, rec: StoredRecord) -> None:
        """Store the last known state of one record."""
        ...

    def rename_record(self, pair: str, entity: str, side: str, old: str, new: str) -> None:
        """Give a record (and its link and keys) its real id once the system assigned it."""
        ...

    def settle_record(
        self,
        pair: str,
        entity: str,
        rec: StoredRecord,
        keys: dict[str, list[str]] | None,
        placeholder: str | None = None,
    ) -> None:
        """Store a written record's state and match keys (``None``: its keys stay) at once.

        With ``placeholder``, the record takes that placeholder's place: the placeholder's
        row and keys go and its link names ``rec.id`` (``rename_record``, then
        ``put_record`` and ``index_keys``, in one step: a created record's settling).
        """
        ...

    def settle_records(self, pair: str, entity: str, settled: list[Settling]) -> None:
        """``settle_record`` of several records at once, one statement of each kind.

        The engine settles a group of writes so (``settle.py``). The records must be distinct:
        no two with one id, and no placeholder another's id; for such records the result is
        that of settling them one after the other.
        """
        ...

    def all_records(self, pair: str, entity: str) -> Iterator[StoredRecord]:
        """Every record of ``entity`` known on either side (for look-ups by people, SQ-3)."""
        ...

    def records_containing(
        self, pair: str, entity: str, fragments: list[str]
    ) -> Iterator[StoredRecord]:
        """Live records that may hold every fragment (for look-ups by people, SQ-3).

        A superset: every record whose stored text holds each fragment, compared without
        regard to ASCII case, and every record holding a character beyond ASCII (case
        folding there is the caller's); the caller tests each one.
        """
        ...

    def find_by_name(
        self, pair: str, entity: str, needle: str, limit: int | None = None
    ) -> list[tuple[str, str]]:
        """(side, id) of live records whose folded name holds ``needle`` (SQ-3).

        The folded name is ``normalize.name_key`` of the record as last seen, kept beside
        the record when it is stored; ``needle`` is folded by the caller (``text_key``).
        Ordered by side, then id; at most ``limit``.
        """
        ...

    def link(self, link_id: int) -> Link:
        """One link by its id."""
        ...

    def link_by_id(self, pair: str, entity: str, side: str, record_id: str) -> Link | None:
        """The link of the record ``record_id`` on ``side``."""
        ...

    def links_with_ids(self, link_ids: list[int]) -> dict[int, Link]:
        """The links of ``link_ids`` that exist, by id (one read: a group of settling writes)."""
        ...

    def links_of(self, pair: str, entity: str, side: str, ids: list[str]) -> dict[str, Link]:
        """The links of the records ``ids`` on ``side`` that have one, by id (one read)."""
        ...

    def link_by_key(self, pair: str, entity: str, link_key: str) -> Link | None:
        """The link carrying the shared code ``link_key`` (IS-3)."""
        ...

    def add_link(
        self, pair: str, entity: str, pos_id: str, platform_id: str, link_key: str | None
    ) -> Link:
        """Create a link."""
        ...

    def save_link(self, link: Link) -> None:
        """Store a link's key and status."""
        ...

    def drop_link(self, link_id: int) -> None:
        """Undo a link whose record was never made on one side (its create was refused).

        The placeholder record and its keys go; the other side's record stays, unlinked.
        """
        ...

    def links_count(self, pair: str, entity: str | None = None) -> int:
        """How many links exist."""
        ...

    def pending_count(self, pair: str, entity: str, side: str) -> int:
        """How many live links still wait for ``side`` to assign the record's id."""
        ...

    def index_keys(
        self, pair: str, entity: str, side: str, record_id: str, keys: dict[str, list[str]]
    ) -> None:
        """Replace the match keys of one record."""
        ...

    def index_new_keys(
        self, pair: str, entity: str, side: str, record_id: str, keys: dict[str, list[str]]
    ) -> None:
        """Index the match keys of a record that has none yet (a fresh placeholder id).

        ``index_keys`` without its delete first: nothing to replace (no statement at all
        when ``keys`` holds no value).
        """
        ...

    def find_by_keys(
        self, pair: str, entity: str, side: str, keys: dict[str, list[str]]
    ) -> list[str]:
        """Ids of records on ``side`` sharing any of ``keys``."""
        ...

    def find_by_key_suffix(
        self, pair: str, entity: str, side: str, name: str, suffix: str
    ) -> list[str]:
        """Ids of records on ``side`` with a key ``name`` ending in ``suffix`` (phone digits)."""
        ...

    def has_keys(self, pair: str, entity: str, side: str, name: str) -> bool:
        """Whether any record on ``side`` is indexed under a key called ``name``."""
        ...

    def shared_keys(
        self, pair: str, entity: str, side: str, names: list[str]
    ) -> list[tuple[str, str, list[str]]]:
        """Key values (of the key ``names``) that two or more records on ``side`` share."""
        ...

    def reopen(self) -> StateStore | None:
        """A new connection to the same store, for another thread (``None``: not shareable).

        An in-memory store cannot be reached by another process, so it needs no lease
        heartbeat and returns ``None``.
        """
        ...

    # leases (one run of a pair at a time)
    def claim_lease(
        self, lease: Lease, lapsed: Callable[[Lease], bool]
    ) -> tuple[bool, Lease | None]:
        """Take ``lease.pair``'s lease for ``lease.holder``, atomically (never two winners).

        Free, or held by a holder ``lapsed`` says is gone: taken, and the gone holder's run
        is marked ``interrupted``; returns ``(True, the gone holder or None)``. Held by a
        live holder: returns ``(False, that holder)``.
        """
        ...

    def beat_lease(self, pair: str, holder: str, run_id: int | None = None) -> bool:
        """Refresh the heartbeat (and the run) of a lease; ``False`` when it is not ours now."""
        ...

    def release_lease(self, pair: str, holder: str) -> None:
        """Give a lease up (only when ``holder`` still holds it)."""
        ...

    def lease(self, pair: str) -> Lease | None:
        """The pair's lease as stored (live or lapsed), if any."""
        ...

    # held back (counted by reason, so nothing waits unseen)
    def set_held(
        self,
        pair: str,
        entity: str,
        side: str,
        record_id: str,
        reason: str | None,
        waits_for: str | None = None,
    ) -> None:
        """Mark a record held back for ``reason`` (``None``: no longer), waiting for a parent.

        Staging a fresh change of the record clears the mark (its keys are indexed anew).
        """
        ...

    def held_for(self, pair: str, entity: str, side: str, waits_for: str) -> list[str]:
        """Ids of records held back waiting for ``waits_for`` (a parent)."""
        ...

    def held_counts(self, pair: str) -> list[tuple[str, str, int]]:
        """How many records are held back, by entity and reason."""
        ...

    # merges (SQ-2)
    def add_merge(
        self,
        pair: str,
        entity: str,
        side: str,
        survivor: str,
        merged: list[str],
        details: dict[str, Any],
    ) -> int:
        """Record a merge a user asked for."""
        ...

    def merges(self, pair: str | None = None) -> list[MergeRecord]:
        """Recorded merges, oldest first."""
        ...

    # journal
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
        ...

    def intents(self, pair: str, entity: str | None = None) -> list[Intent]:
        """Journaled writes not yet applied, oldest first."""
        ...

    def intents_but(self, pair: str, entity: str | None, skip: Container[int]) -> list[Intent]:
        """``intents`` less the writes of ``skip`` (queued already): their JSON is not read."""
        ...

    def intent_done(self, seq: int) -> None:
        """Drop an applied (or quarantined) write."""
        ...

    def intents_done(self, seqs: list[int]) -> None:
        """Drop several applied (or quarantined) writes (one statement: a settled group)."""
        ...

    def intent_attempted(self, seq: int) -> None:
        """Count one failed attempt of a write."""
        ...

    # problems
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
        ...

    def problems(self, pair: str | None = None, *, open_only: bool = True) -> list[Problem]:
        """Quarantined changes."""
        ...

    def problems_of(self, pair: str, entity: str, side: str, record_id: str) -> list[Problem]:
        """One record's open problems, oldest first."""
        ...

    def open_problems_of(
        self, pair: str, entity: str, side: str, ids: list[str]
    ) -> dict[str, list[Problem]]:
        """The open problems of each of ``ids`` that has any, oldest first, by id (one read)."""
        ...

    def problem(self, problem_id: int) -> Problem | None:
        """One problem by id."""
        ...

    def resolve_problem(self, problem_id: int) -> None:
        """Mark one problem resolved."""
        ...

    # runs
    def start_run(self, pair: str) -> int:
        """Record the start of a run."""
        ...

    def finish_run(
        self,
        run_id: int,
        status: str,
        counts: dict[str, int],
        calls: dict[str, int],
        error: str | None,
    ) -> None:
        """Record the end of a run."""
        ...

    def runs(self, pair: str | None = None, limit: int = 10) -> list[RunRecord]:
        """The latest runs, newest first."""
        ...

    def run(self, run_id: int) -> RunRecord | None:
        """One run by its id."""
        ...

    def add_moves(self, run_id: int, moves: list[tuple[str, str, str, str, str, str]]) -> None:
        """Log moves: (entity, record, toward, action, fields, rule)."""
        ...

    def moves(self, run_id: int) -> Iterator[tuple[str, str, str, str, str, str]]:
        """The moves of one run."""
        ...

    # ---------------------------------------------------------------------------------------
    # Operators (issue 15): history, held writes, records kept apart, a scratch copy.
    # New tables: ``history``, ``apart``; new ``journal`` columns ``held_run``,
    # ``held_kind``, ``held_reason`` (a held write is not returned by ``intents``).
    # ---------------------------------------------------------------------------------------

    def add_history(self, entries: list[HistoryEntry]) -> None:
        """Record history entries (one batch; ``at`` defaults to now)."""
        ...

    def history(
        self,
        pair: str,
        entity: str,
        *,
        link_id: int | None,
        ids: list[str],
        field: str | None = None,
        since: dt.datetime | None = None,
        limit: int = 1000,
    ) -> list[HistoryEntry]:
        """One record's history, newest first: entries of its link or naming one of ``ids``."""
        ...

    def prune_history(self, before: dt.datetime, limit: int) -> int:
        """Delete at most ``limit`` history entries older than ``before``; returns how many."""
        ...

    def history_count(self) -> int:
        """How many history entries are kept."""
        ...

    def keep_apart(self, pair: str, entity: str, pos_id: str, platform_id: str) -> None:
        """Never match these two records to each other again (``unlink --keep-apart``)."""
        ...

    def kept_apart(self, pair: str, entity: str, side: str, record_id: str) -> set[str]:
        """Ids on the other side a record of ``side`` is kept apart from."""
        ...

    def kept_apart_of(
        self, pair: str, entity: str, side: str, ids: list[str]
    ) -> dict[str, set[str]]:
        """``kept_apart`` of each of ``ids`` kept apart from any record, by id (one read)."""
        ...

    def hold_intents(self, seqs: list[int], run_id: int, kind: str, reason: str) -> None:
        """Hold journaled writes (a guard): they are not applied until released.

        ``run_id`` 0 marks writes awaiting the guard's count within a run (not yet held).
        """
        ...

    def held_intents(self, pair: str | None = None, run_id: int | None = None) -> list[HeldWrite]:
        """Held writes, oldest first (``run_id`` None: every run's, never those awaiting)."""
        ...

    def release_intents(self, seqs: list[int]) -> None:
        """Held writes become pending writes again (approved)."""
        ...

    def scratch(self) -> StateStore:
        """A throwaway copy of this store in memory (a plan runs the engine against it)."""
        ...

    # -- webhooks (``syncwright serve``, issue 18) -------------------------------------------
    # Every store implements these; tables: ``webhook_notifications`` (the durable inbox of
    # events, unique per pair, system and event id) and ``webhook_counts`` / ``webhook_last``.

    def add_notification(
        self,
        pair: str,
        system: str,
        event_id: str,
        entity: str,
        kind: str,
        record_ids: list[str],
        occurred_at: float | None,
        received_at: float,
    ) -> bool:
        """Keep one event for a targeted run of ``pair``; ``False``: kept already (a duplicate)."""
        ...

    def pending_notifications(self, pair: str, limit: int = 5000) -> list[StoredNotification]:
        """Events not yet consumed by a run of ``pair``, oldest first."""
        ...

    def notifications_done(self, ids: list[int], run_id: int | None) -> None:
        """Mark events consumed by run ``run_id`` (kept a while, to refuse their replays)."""
        ...

    def prune_notifications(self, before: float) -> int:
        """Forget consumed events received before ``before`` (epoch seconds); how many went."""
        ...

    def count_webhook(
        self,
        system: str,
        counter: str,
        n: int = 1,
        *,
        last: tuple[float, str, str | None] | None = None,
    ) -> None:
        """Add ``n`` to a system's ``counter`` (one of ``WEBHOOK_COUNTERS``).

        ``last`` (time, status, event id) records the system's last notification.
        """
        ...

    def webhook_stats(self) -> list[WebhookStats]:
        """Every system's webhook counts and last notification, by system name."""
        ...
