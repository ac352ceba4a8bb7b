"""``--json``: the documents of status, problems, find, duplicates, plugins and run.

What these commands print for programs; the shapes are documented in ``docs/json-output.md``.

Every document is one JSON object on one line with ``"version"`` (:data:`VERSION`, raised
when a field is removed or changes meaning; new fields may appear without it) and
``"kind"`` (the command). Times are ISO 8601 in UTC. Secrets never appear: documents are
built from the state store and reports, which hold none, and are redacted all the same.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

import orjson
import typer

from framework.engine.duplicates import DuplicateGroup
from framework.engine.lookup import Found
from framework.engine.report import RunReport
from framework.secrets import redact
from framework.state.store import (
    HistoryEntry,
    Link,
    Problem,
    RunRecord,
    StateStore,
    WebhookStats,
)

if TYPE_CHECKING:
    from framework.ops.refs import RecordRef

VERSION = 1


def emit(kind: str, **body: Any) -> None:
    """Print one document of ``kind`` on standard output, on one line."""
    document = {"version": VERSION, "kind": kind, **body}
    typer.echo(redact(orjson.dumps(document).decode()))


def _time(value: dt.datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def moved_count(counts: dict[str, int]) -> int:
    """Records created, updated, deleted or linked, from a run's counts."""
    return sum(
        n
        for key, n in counts.items()
        if "." in key and key.split(".")[1] in ("create", "update", "delete", "link")
    )


def run_record(run: RunRecord) -> dict[str, Any]:
    """One run as ``status`` shows it."""
    seconds = (run.finished_at - run.started_at).total_seconds() if run.finished_at else None
    return {
        "id": run.id,
        "pair": run.pair,
        "started_at": _time(run.started_at),
        "finished_at": _time(run.finished_at),
        "seconds": seconds,
        "status": run.status,
        "moved": moved_count(run.counts),
        "calls": sum(n for k, n in run.calls.items() if k.endswith(".calls")),
        "counts": run.counts,
        "error": run.error,
    }


def status(store: StateStore, pairs: Iterable[str], runs: list[RunRecord]) -> None:
    """``syncwright status --json``."""
    emit(
        "status",
        runs=[run_record(r) for r in runs],
        pairs=[
            {
                "name": name,
                "linked": store.links_count(name),
                "staged": store.inbox_count(name),
                "pending_writes": len(store.intents(name)),
                "held_writes": held_groups(store, name),
            }
            for name in pairs
        ],
        open_problems=len(store.problems()),
        webhooks=[webhook_stats(w) for w in store.webhook_stats()],
    )


def held_groups(store: StateStore, pair: str) -> list[dict[str, Any]]:
    """The writes a pair's guard holds, by run and reason."""
    groups: dict[tuple[int, str, str, str, str], int] = {}
    for w in store.held_intents(pair):
        key = (w.run_id, w.entity, w.side, w.kind, w.reason)
        groups[key] = groups.get(key, 0) + 1
    return [
        {"run_id": r, "entity": e, "side": s, "kind": k, "reason": why, "writes": n}
        for (r, e, s, k, why), n in sorted(groups.items())
    ]


def webhook_stats(stats: WebhookStats) -> dict[str, Any]:
    """One system's webhook counts and its last notification."""
    last = None
    if stats.last_at is not None:
        last = dt.datetime.fromtimestamp(stats.last_at, dt.UTC).isoformat()
    return {
        "system": stats.system,
        **stats.counts,
        "last_at": last,
        "last_status": stats.last_status,
        "last_event": stats.last_event,
    }


def problem(p: Problem) -> dict[str, Any]:
    """One open problem."""
    return {
        "id": p.id,
        "pair": p.pair,
        "entity": p.entity,
        "side": p.side,
        "record_id": p.record_id,
        "rule": p.rule,
        "reason": p.reason,
        "attempts": p.attempts,
        "created_at": _time(p.created_at),
    }


def problems(found: list[Problem]) -> None:
    """``syncwright problems --json``."""
    emit("problems", problems=[problem(p) for p in found])


def find(pair: str, entity: str, text: str, found: list[Found], systems: dict[str, str]) -> None:
    """``syncwright find --json``; ``systems`` maps a side to its system's name."""
    emit(
        "find",
        pair=pair,
        entity=entity,
        query=text,
        results=[
            {
                "system": systems[f.side],
                "side": f.side,
                "id": f.id,
                "name": f.name,
                "emails": f.emails,
                "phones": f.phones,
                "matched_by": f.by,
                "linked_to": (
                    {
                        "system": systems["platform" if f.side == "pos" else "pos"],
                        "id": f.linked_to,
                        "status": f.link_status or "ok",
                    }
                    if f.linked_to
                    else None
                ),
            }
            for f in found
        ],
    )


def duplicates(pair: str, groups: list[DuplicateGroup]) -> None:
    """``syncwright duplicates --json``."""
    emit(
        "duplicates",
        pair=pair,
        groups=[
            {
                "entity": g.entity,
                "system": g.system,
                "side": g.side,
                "keys": [{"key": k, "value": v} for k, v in g.keys],
                "records": [
                    {
                        "id": r.id,
                        "name": r.name,
                        "emails": r.emails,
                        "phones": r.phones,
                        "linked_to": r.linked_to,
                        "link_status": r.link_status,
                    }
                    for r in g.records
                ],
                "merge": f"syncwright duplicates merge {' '.join(g.ids)} --pair {pair} "
                f"--side {g.side} --entity {g.entity}",
            }
            for g in groups
        ],
    )


def plugins(connectors: list[dict[str, Any]], presets: list[dict[str, Any]]) -> None:
    """``syncwright plugins --json``."""
    emit("plugins", connectors=connectors, presets=presets)


def report(r: RunReport) -> dict[str, Any]:
    """One run's report."""
    return {
        "pair": r.pair,
        "run_id": r.run_id,
        "status": r.status,
        "seconds": round(r.seconds, 3),
        "counts": dict(r.counts),
        "calls": r.calls,
        "errors": r.errors,
        "moves": [
            {
                "entity": m.entity,
                "record": m.record,
                "toward": m.toward,
                "action": m.action,
                "fields": list(m.fields),
                "rules": list(m.rules),
            }
            for m in r.moves_sample
        ],
        "moves_by_rule": [
            {
                "entity": entity,
                "action": action,
                "toward": toward,
                "rules": rules,
                "records": int(str(count)),
                "example": str(example),
            }
            for (entity, action, toward, rules), (count, example) in r.by_rule.items()
        ],
    }


def run(reports: list[RunReport]) -> None:
    """``syncwright run --json``: one document per round of runs (one line each)."""
    emit("run", reports=[report(r) for r in reports])


def history_entry(e: HistoryEntry) -> dict[str, Any]:
    """One history entry."""
    return {
        "at": _time(e.at),
        "run_id": e.run_id,
        "action": e.action,
        "pos_id": e.pos_id,
        "platform_id": e.platform_id,
        "field": e.field,
        "old": e.old,
        "new": e.new,
        "source": e.source,
        "toward": e.toward,
        "policy": e.policy,
        "rule": e.rule,
        "associate": e.associate,
        "note": e.note,
    }


def history(ref: RecordRef, entries: list[HistoryEntry]) -> None:
    """``syncwright history --json``."""
    emit(
        "history",
        pair=ref.pair,
        entity=ref.entity,
        record={"side": ref.side, "id": ref.id, "ids": ref.ids()},
        entries=[history_entry(e) for e in entries],
    )


def link_dict(link: Link) -> dict[str, Any]:
    """A link's ids, key and status."""
    return {
        "link_id": link.id,
        "pos_id": link.pos_id,
        "platform_id": link.platform_id,
        "link_key": link.link_key,
        "status": link.status,
    }
