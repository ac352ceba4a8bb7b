"""Retrying quarantined changes (G-5): nothing parked is dropped; after a fix it goes again.

A problem holds what was parked: a change read from a system (it is staged again, and the
next run reconciles it with the configuration and connectors as they are now); a write a
system refused, by the record it came from (that record is staged again as it is now, and
the next run merges it afresh, the refused fields counting as changed); or a refused
delete (journaled again). The problem is marked resolved when requeued; if the change
fails again it is parked again, as a new problem.
"""

from __future__ import annotations

from framework.engine.flows import Side
from framework.state.store import Problem, StateStore


def merge_hint(pair: str, entity: str, side: Side, survivor: str, duplicate: str) -> str:
    """The command that merges ``duplicate`` into ``survivor`` on ``side`` (SQ-2)."""
    return (
        f"merge them: syncwright duplicates merge {survivor} {duplicate} "
        f"--pair {pair} --side {side} --entity {entity}"
    )


def requeue(store: StateStore, problem: Problem) -> str:
    """Queue a problem's change again; returns what was done, for the operator."""
    payload = problem.payload or {}
    if (why := _still_broken(store, problem)) is not None:
        return why
    with store.transaction():
        if "origin" in payload:
            side, record_id = payload["origin"]["side"], payload["origin"]["id"]
            rec = store.record(problem.pair, problem.entity, side, record_id)
            if rec is None or rec.now is None:
                return f"nothing to retry: {problem.entity} {record_id} is gone on the {side} side"
            change = {
                "entity": problem.entity,
                "id": record_id,
                "op": "upsert",
                "record": rec.now,
                "link_key": rec.link_key,
            }
            store.restage(problem.pair, problem.entity, side, change)
            done = f"{problem.entity} {record_id} staged again as it is now"
        elif "intent" in payload:
            store.add_intent(
                problem.pair,
                problem.entity,
                problem.side,
                payload.get("link_id"),
                payload["intent"],
                payload.get("expected"),
                payload.get("source"),
            )
            done = f"write to {problem.side} journaled again"
        elif payload.get("id"):
            store.restage(problem.pair, problem.entity, problem.side, payload)
            done = f"change of {problem.entity} {problem.record_id} staged again"
        else:
            return "nothing to retry (no change was kept)"
        store.resolve_problem(problem.id)
    return done


def _still_broken(store: StateStore, problem: Problem) -> str | None:
    """Why retrying a broken link's problem cannot succeed (``None``: it can, go on).

    A broken link (IS-4) mends when the shared codes agree again, by itself, at the next
    run that reads them; until then every change of the record is held back and counted
    on the problem, which stays open: a retry would only hold the change back again.
    """
    link = store.link_by_id(problem.pair, problem.entity, problem.side, problem.record_id)
    if link is None or link.status != "broken":
        return None
    codes = {
        side: (store.record(problem.pair, problem.entity, side, link.id_on(side)) or None)
        for side in ("pos", "platform")
    }
    shown = ", ".join(
        f"{side} {link.id_on(side)} has {rec.link_key if rec else None!r}"
        for side, rec in codes.items()
    )
    held = int((problem.payload or {}).get("held_back", 0))
    return (
        f"cannot succeed: the link {link.pos_id} / {link.platform_id} is broken (IS-4): "
        f"the shared codes differ ({shown}; linked as {link.link_key!r}); make them agree "
        f"again on either side and the next run mends it; {held} change(s) held back so far, "
        "the problem stays open"
    )
