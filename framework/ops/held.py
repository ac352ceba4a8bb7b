"""Approving or rejecting the writes a guard held (``framework/engine/guard.py``).

``approve RUN`` makes exactly the writes run ``RUN`` held, each re-checked first against
the state as it is now: a write whose target changed since, or whose link is no longer
live, is not made (it is dropped as rejected, and its record is merged again next run).
``reject RUN`` drops them: the source record's shadow goes back to what it was before the
held merge and the record is staged again, so the next run merges it afresh (a broken
export that is still broken is held again; one that was fixed writes nothing).
Both are recorded in history and take the pair's lease (never beside a run of it).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from framework.engine.apply import Applier, Unavailable
from framework.engine.engine import Engine
from framework.engine.guard import release
from framework.engine.report import RunReport
from framework.errors import SyncwrightError
from framework.models import WriteOp
from framework.state.store import HeldWrite, HistoryEntry, StateStore


@dataclass
class Outcome:
    """What an approval or rejection did."""

    run_id: int
    pair: str
    made: int = 0
    dropped: int = 0
    stale: list[str] = field(default_factory=list)
    report: RunReport | None = None

    def as_dict(self) -> dict[str, object]:
        """For ``--json``."""
        return {
            "run_id": self.run_id,
            "pair": self.pair,
            "made": self.made,
            "dropped": self.dropped,
            "stale": self.stale,
            "errors": self.report.errors if self.report else [],
        }


def held_writes(store: StateStore, run_id: int) -> list[HeldWrite]:
    """The writes run ``run_id`` held.

    Raises:
        SyncwrightError: the run held nothing (or what it held was decided already).
    """
    held = store.held_intents(run_id=run_id)
    if not held:
        raise SyncwrightError(
            f"run {run_id} holds no writes (approved or rejected already, or it held none); "
            "see `syncwright status`"
        )
    return held


def _label(w: HeldWrite) -> str:
    return str((w.source or {}).get("label", w.link_id))


def _stale(store: StateStore, w: HeldWrite) -> str | None:
    """Why a held write no longer fits the state (``None``: it still does)."""
    link = store.link(w.link_id) if w.link_id is not None else None
    if link is None or link.status != "ok":
        return f"{_label(w)}: its link is {link.status if link else 'gone'} now"
    rec = store.record(w.pair, w.entity, w.side, link.id_on(w.side))
    if w.request.get("op") == "unlink":
        return None
    if w.request.get("op") == WriteOp.DELETE.value:
        return None if rec is not None and not rec.deleted else f"{_label(w)}: gone already"
    base = w.request.get("base")
    if rec is None or (base is not None and rec.now != base):
        return f"{_label(w)}: changed on the {w.side} side since; merged again next run"
    prior = (w.source or {}).get("prior")
    if prior is not None:
        source = store.record(w.pair, w.entity, prior["side"], prior["id"])
        if source is None or source.now != prior.get("now"):
            return f"{_label(w)}: changed on the {prior['side']} side since; merged again next run"
    return None


def _entry(w: HeldWrite, action: str, note: str) -> HistoryEntry:
    pos_id, _, platform_id = _label(w).partition("=")
    return HistoryEntry(
        w.pair,
        w.entity,
        action,
        pos_id or None,
        platform_id or None,
        w.link_id,
        toward=w.side,
        run_id=w.run_id,
        note=note,
    )


def _drop(store: StateStore, w: HeldWrite) -> None:
    """Drop a held write; its record is merged again by the next run."""
    store.intent_done(w.seq)
    if w.request.get("op") == "unlink":  # the link stays, and so does the record
        return
    prior = (w.source or {}).get("prior")
    link = store.link(w.link_id) if w.link_id is not None else None
    if w.request.get("op") == WriteOp.DELETE.value and link is not None:
        source = "platform" if w.side == "pos" else "pos"
        link.status = f"deleted_on_{source}"  # not deleted there: unlinked, visible (G-7)
        store.save_link(link)
        return
    if prior is None:
        return
    rec = store.record(w.pair, w.entity, prior["side"], prior["id"])
    if rec is None or rec.now is None:
        return
    now = rec.now
    # The shadow as before the held merge: the record's change counts again next run.
    rec.latest, rec.data = now, prior.get("data")
    store.put_record(w.pair, w.entity, rec)
    change = {
        "entity": w.entity,
        "id": rec.id,
        "op": "upsert",
        "record": now,
        "link_key": rec.link_key,
    }
    store.restage(w.pair, w.entity, prior["side"], change)


def reject(engine: Engine, run_id: int) -> Outcome:
    """Drop the writes run ``run_id`` held (``syncwright reject RUN``)."""
    store = engine.store
    held = held_writes(store, run_id)
    pair = held[0].pair
    done = Outcome(run_id, pair)
    with engine.lease(pair), store.transaction():
        for w in held:
            _drop(store, w)
            done.dropped += 1
        store.add_history([_entry(w, "reject", "held write rejected by hand") for w in held])
    return done


def approve(engine: Engine, run_id: int) -> Outcome:
    """Make the writes run ``run_id`` held, each re-checked (``syncwright approve RUN``)."""
    store = engine.store
    held = held_writes(store, run_id)
    pair = held[0].pair
    done = Outcome(run_id, pair)
    with engine.lease(pair) as lease:
        own = store.start_run(pair)
        lease.attach_run(own)
        report = RunReport(pair=pair, run_id=own)
        ctx = engine.pair_context(pair, report, lease)
        with store.transaction():
            fresh = []
            for w in held:
                why = _stale(store, w)
                if why is None:
                    fresh.append(w)
                    continue
                done.stale.append(why)
                _drop(store, w)
            store.add_history([_entry(w, "approve", "held write approved by hand") for w in fresh])
            release(ctx, fresh)
            done.dropped = len(held) - len(fresh)
        applier = Applier(ctx)
        try:
            applier.apply()
            applier.finish()  # writes in flight (issue 17) settle before the run ends
        except Unavailable as exc:
            report.errors.append(str(exc))
        finally:
            applier.close()
            store.finish_run(
                own, report.status, dict(report.counts), {}, "; ".join(report.errors) or None
            )
        done.made = sum(
            n
            for k, n in report.counts.items()
            if k.split(".")[1:2] in (["create"], ["update"], ["delete"], ["unlink"])
        )
        done.report = report
    return done
