"""Retrying quarantined changes (G-5): nothing parked is dropped; after a fix it goes again.

A problem holds what was parked: a change read from a system (it is staged again, and the
next run reconciles it with the configuration and connectors as they are now), or a write
a system refused (it is journaled again and the next run sends it). The problem is marked
resolved when requeued; if the change fails again it is parked again, as a new problem.
"""

from __future__ import annotations

from framework.state.store import Problem, StateStore


def requeue(store: StateStore, problem: Problem) -> str:
    """Queue a problem's change again; returns what was done, for the operator."""
    payload = problem.payload or {}
    with store.transaction():
        if "intent" in payload:
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
