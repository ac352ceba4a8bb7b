"""``syncwright history RECORD``: one record's timeline, newest first (engine/history.py)."""

from __future__ import annotations

import datetime as dt

from framework.ops.refs import RecordRef, resolve
from framework.state.store import HistoryEntry, StateStore


def record_history(
    store: StateStore,
    pair: str,
    entity: str,
    text: str,
    *,
    field: str | None = None,
    since: dt.datetime | None = None,
    limit: int = 1000,
) -> tuple[RecordRef, list[HistoryEntry]]:
    """The record ``text`` names and its history (of ``field``, since ``since``), newest first.

    Raises:
        SyncwrightError: ``text`` names no record, or several.
    """
    ref = resolve(store, pair, entity, text)
    entries = store.history(
        pair,
        entity,
        link_id=ref.link.id if ref.link is not None else None,
        ids=ref.ids(),
        field=field,
        since=since,
        limit=limit,
    )
    return ref, entries
