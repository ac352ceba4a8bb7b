"""History: why did this record change? Every write, per field, with what decided it.

The engine records, for every write it makes, one entry per field written (the old and new
value, the side it came from, the policy and rule, the associate recorded, G-8); a create
or delete is one entry for the record as a whole. Links, unlinks, quarantines, merges
(SQ-2) and approvals are entries too. Entries are kept ``engine.history_days`` (default
90) and pruned by runs, a bounded number of rows at a time.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from framework.engine.flows import FlowSpec, Side, other
from framework.engine.values import field_value
from framework.models import WriteOp, WriteRequest
from framework.state.store import HistoryEntry, Intent, Link, StateStore

PRUNE_STEP = 5_000
"""History entries one pruning step deletes (one short transaction)."""
PRUNE_STEPS = 20
"""Steps one run takes at most: a backlog is worked off over several runs."""


def ids_of(link: Link | None, side: Side, record_id: str | None) -> dict[str, Any]:
    """The ids an entry carries: both sides' (a link), else the one record's."""
    if link is not None:
        return {"pos_id": link.pos_id, "platform_id": link.platform_id, "link_id": link.id}
    return {"pos_id": record_id} if side == "pos" else {"platform_id": record_id}


def write_entries(
    pair: str,
    run_id: int,
    flow: FlowSpec,
    intent: Intent,
    request: WriteRequest,
    after: dict[str, Any] | None,
    fields: tuple[str, ...],
    link: Link | None,
    before: dict[str, Any] | None = None,
) -> list[HistoryEntry]:
    """The entries of one write that succeeded (``after``: what the target holds now)."""
    side: Side = "pos" if intent.side == "pos" else "platform"
    source = intent.source or {}
    rules = ",".join(source.get("rules") or []) or None
    why: dict[str, list[str | None]] = source.get("why") or {}
    common: dict[str, Any] = {
        "pair": pair,
        "entity": intent.entity,
        "run_id": run_id,
        "source": other(side),
        "toward": side,
        "associate": request.associate,
        **ids_of(link, side, request.target_id),
    }
    if request.op is WriteOp.CREATE:
        return [HistoryEntry(action="create", new=after, rule=rules, **common)]
    if request.op is WriteOp.DELETE:
        return [HistoryEntry(action="delete", old=before, rule=rules, **common)]
    base = request.base.model_dump(mode="json") if request.base is not None else before
    entries = []
    for name in fields:
        head = name.partition(".")[0]
        rule = flow.fields.get(head)
        policy, decided = why.get(name) or why.get(head) or [None, None]
        entries.append(
            HistoryEntry(
                action="update",
                field=name,
                old=field_value(base, name),
                new=field_value(after, name),
                policy=policy or (rule.policy if rule else None),
                rule=decided or (rule.rule if rule and rule.rule else rules),
                **common,
            )
        )
    return entries


def prune(store: StateStore, days: float, now: dt.datetime | None = None) -> int:
    """Delete history older than ``days``, in bounded steps; returns how many went."""
    if days <= 0:
        return 0
    before = (now or dt.datetime.now(dt.UTC)) - dt.timedelta(days=days)
    gone = 0
    for _ in range(PRUNE_STEPS):
        with store.transaction():
            n = store.prune_history(before, PRUNE_STEP)
        gone += n
        if n < PRUNE_STEP:
            break
    return gone
