"""A guard on mass changes: a run that would delete, blank or overwrite too much holds it.

A broken export (a POS file half-written, a field map pointed at the wrong field) looks to
the engine like thousands of customers changed at once. Each journaled write is classed
by what it does to the target's existing values (:func:`change_kind`): ``delete``,
``blank`` (a value there turns empty) or ``overwrite`` (a value there is replaced or
loses an element); G-7's ``unlink`` of a record deleted on one side is counted too (set
aside as a journaled write no system ever gets). Writes of a guarded kind are not made
chunk by chunk like the rest: once the entity's changes are all reconciled, the guard
counts them per target side and kind, and when they are more than the limit's share of
the entity's linked records (and at least its ``min_records``), it **holds** them: they
stay journaled, marked held with the run and a reason, and nothing of that kind is
written. The rest of the run goes on, and its exit code is 3. ``syncwright approve RUN``
makes them (each re-checked against the current state), ``syncwright reject RUN`` drops
them (``framework/ops/held.py``).

Limits: ``[engine.guard]`` (default ``share = 0.05``, ``min_records = 50``), overridden
per pair (``[pairs.NAME.guard]``) and per entity or entity and kind
(``limits."customer.blank" = {share = 0.2}``); a share of 0 turns the guard off there.
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from framework.engine.report import Move
from framework.engine.values import empty as _empty
from framework.engine.values import field_value
from framework.models import WriteOp
from framework.models.base import CanonicalRecord
from framework.state.store import HistoryEntry, Intent, Link, StateStore

if TYPE_CHECKING:
    from framework.engine.context import PairContext

log = logging.getLogger("syncwright.engine")

Kind = Literal["delete", "unlink", "blank", "overwrite"]
KINDS: tuple[Kind, ...] = ("delete", "unlink", "blank", "overwrite")
AWAITING = 0
"""The ``held_run`` of a write awaiting the guard's count (a run's id is never 0)."""
EXIT_HELD = 3
"""The exit code of a run (``syncwright run --once``) that held writes."""


class GuardLimit(BaseModel):
    """How much of one kind of change a run may make: ``share`` of the linked records."""

    model_config = ConfigDict(extra="forbid")

    share: float | None = Field(
        None, ge=0, le=1, description="Share of linked records (0.05 = 5 %); 0 turns it off"
    )
    min_records: int | None = Field(None, ge=0, description="Never hold fewer than this")


class GuardConfig(GuardLimit):
    """The guard's limits: a default, and limits by ``entity`` or ``entity.kind``."""

    limits: dict[str, GuardLimit] = Field(default_factory=dict)


DEFAULT = GuardLimit(share=0.05, min_records=50)


def limit_for(
    entity: str, kind: str, engine: GuardConfig | None, pair: GuardConfig | None
) -> GuardLimit:
    """The limit of ``kind`` changes of ``entity``: the most specific setting wins."""
    share, least = DEFAULT.share, DEFAULT.min_records
    for level in (engine, pair):
        if level is None:
            continue
        for found in (level, level.limits.get(entity), level.limits.get(f"{entity}.{kind}")):
            if found is None:
                continue
            share = found.share if found.share is not None else share
            least = found.min_records if found.min_records is not None else least
    return GuardLimit(share=share, min_records=least)


def _loses(old: Any, new: Any) -> bool:
    """Whether ``new`` replaces or drops something ``old`` held (adding alone is not)."""
    if _empty(old):
        return False
    if isinstance(old, list):
        kept = new if isinstance(new, list) else []
        return any(item not in kept for item in old)
    if isinstance(old, dict):
        kept_d = new if isinstance(new, dict) else {}
        return any(not _empty(v) and kept_d.get(k) != v for k, v in old.items())
    return bool(old != new)


def change_kind(
    op: WriteOp,
    base: dict[str, Any] | None,
    record: CanonicalRecord | dict[str, Any] | None,
    fields: list[str],
) -> tuple[Kind, list[str]] | None:
    """What a write does to the target's existing values, and the fields it does it to."""
    if op is WriteOp.DELETE:
        return "delete", []
    if op is not WriteOp.UPDATE or base is None or record is None:
        return None
    after = record.model_dump(mode="json") if isinstance(record, CanonicalRecord) else record
    blank, over = [], []
    for name in fields:
        old, new = field_value(base, name), field_value(after, name)
        if not _empty(old) and _empty(new):
            blank.append(name)
        elif _loses(old, new):
            over.append(name)
    if blank:
        return "blank", blank
    if over:
        return "overwrite", over
    return None


def kind_of(intent: Intent) -> str | None:
    """The guarded kind of a journaled write (``None``: it changes nothing existing)."""
    kind = (intent.source or {}).get("kind")
    return str(kind[0]) if kind else None


def reason(
    n: int, kind: str, entity: str, system: str, fields: list[str], linked: int, limit: GuardLimit
) -> str:
    """``1,204 updates would blank clientbook emails: 12 % of linked customers``."""
    what = {
        "delete": f"deletes would delete {entity} records on {system}",
        "unlink": f"unlinks would stop syncing {entity} records with {system} (deleted on "
        "the other side, G-7)",
        "blank": f"updates would blank {system} {', '.join(fields) or 'values'}",
        "overwrite": f"updates would overwrite {system} {', '.join(fields) or 'values'}",
    }[kind]
    share = 100 * n / linked if linked else 100.0
    return (
        f"{n:,} {what}: {share:.0f} % of linked {entity} records (the guard holds more "
        f"than {100 * (limit.share or 0):g} % and at least {limit.min_records}); "
        "approve or reject them"
    )


def unlink(ctx: PairContext, link: Link, side: str) -> None:
    """G-7: a record deleted on ``side`` is no longer synced; the link stays, marked."""
    link.status = f"deleted_on_{side}"
    ctx.store.save_link(link)
    target = "platform" if side == "pos" else "pos"
    ctx.moved(Move(link.entity, link.id_on(side), target, "unlink", (), ("G-7",)), link)


def release(ctx: PairContext, writes: Sequence[Intent]) -> None:
    """Let set-aside or held writes go: unlinks are made now, the rest become pending."""
    store = ctx.store
    for w in writes:
        if w.request.get("op") != "unlink":
            continue
        store.intent_done(w.seq)
        link = store.link(w.link_id) if w.link_id is not None else None
        if link is not None and link.status == "ok":
            unlink(ctx, link, str(w.request["side"]))
    store.release_intents([w.seq for w in writes if w.request.get("op") != "unlink"])


@dataclass(frozen=True)
class HeldRun:
    """The writes one run's guard holds for one reason (approve or reject them by run)."""

    run_id: int
    reason: str
    writes: int


def held_groups(store: StateStore, pair: str | None = None) -> list[HeldRun]:
    """The writes a pair's guard holds, grouped by run and reason, oldest run first."""
    groups: dict[tuple[int, str], int] = {}
    for w in store.held_intents(pair):
        groups[(w.run_id, w.reason)] = groups.get((w.run_id, w.reason), 0) + 1
    return [HeldRun(run, reason, n) for (run, reason), n in sorted(groups.items())]


def held_runs(store: StateStore, pair: str) -> list[str]:
    """The writes a pair's guard holds, one line per run and reason (``syncwright status``)."""
    return [
        f"run {h.run_id}: {h.reason} (syncwright approve {h.run_id} / reject {h.run_id})"
        for h in held_groups(store, pair)
    ]


def held_entry(intent: Intent, run_id: int, why: str) -> HistoryEntry:
    """The history entry of one held write."""
    source = intent.source or {}
    label = str(source.get("label", "?"))
    pos_id, _, platform_id = label.partition("=")
    return HistoryEntry(
        intent.pair,
        intent.entity,
        "held",
        pos_id or None,
        platform_id or None,
        intent.link_id,
        toward=intent.side,
        rule=",".join(source.get("rules") or []) or None,
        run_id=run_id,
        note=why,
    )


class Guard:
    """Holds one run's mass changes (see the module docstring)."""

    def __init__(self, ctx: PairContext):
        self.ctx = ctx

    def limit(self, entity: str, kind: str) -> GuardLimit:
        """The limit of ``kind`` changes of ``entity`` in this pair."""
        return limit_for(entity, kind, self.ctx.guard, self.ctx.pair.guard)

    def await_count(self, seq: int, intent_source: dict[str, Any], entity: str) -> None:
        """Set a just-journaled write of a guarded kind aside until the entity is counted."""
        kind = (intent_source.get("kind") or [None])[0]
        if kind is not None and self.limit(entity, str(kind)).share:
            self.ctx.store.hold_intents([seq], AWAITING, str(kind), "awaiting the guard")

    def await_unlink(self, link: Link, side: str) -> None:
        """G-7's unlink of a record deleted on ``side``, set aside until the entity is counted.

        Journaled as a write that never goes to a system: made by the count (or by
        ``approve``), dropped by ``reject`` (the link stays, and so does the record).
        """
        store, target = self.ctx.store, "platform" if side == "pos" else "pos"
        source = {
            "rules": ["G-7"],
            "label": f"{link.pos_id}={link.platform_id}",
            "kind": ["unlink", []],
        }
        seq = store.add_intent(
            self.ctx.name,
            link.entity,
            target,
            link.id,
            {"op": "unlink", "side": side},
            None,
            source,
        )
        store.hold_intents([seq], AWAITING, "unlink", "awaiting the guard")

    def check(self, entity: str) -> int:
        """Count ``entity``'s guarded writes; hold the kinds over their limit. Returns held.

        The writes under their limit are released: the run makes them now.
        """
        ctx, store = self.ctx, self.ctx.store
        groups: dict[tuple[str, str], list[Intent]] = {}
        for intent in store.held_intents(ctx.name, AWAITING):
            if intent.entity == entity:
                groups.setdefault((intent.side, intent.kind), []).append(intent)
        if not groups:
            return 0
        linked = store.links_count(ctx.name, entity)
        held = 0
        for (side, kind), group in sorted(groups.items()):
            limit = self.limit(entity, kind)
            n = len(group)
            if n <= (limit.share or 0) * linked or n < (limit.min_records or 0):
                with store.transaction():
                    release(ctx, group)
                continue
            fields = Counter(
                f for i in group for f in ((i.source or {}).get("kind") or [None, []])[1]
            )
            system = ctx.systems["pos" if side == "pos" else "platform"].name
            why = reason(
                n, kind, entity, system, [f for f, _ in fields.most_common(3)], linked, limit
            )
            run_id = ctx.report.run_id
            with store.transaction():
                store.hold_intents([i.seq for i in group], run_id, kind, why)
                store.add_history([held_entry(i, run_id, why) for i in group])
            ctx.report.count(entity, f"held.{kind}.{side}", n)
            ctx.report.held.append(why)
            log.warning("%s: held: %s", ctx.name, why)
            held += n
        return held
