"""Writes in flight: several of a pair's journaled writes on the wire at once, orders kept.

A platform answers in 50-300 ms; one write at a time, an upload is bound by that round trip
and not by the platform's cap nor by our work. So the writes of one entity to one system
go out in *lanes*, up to the system's ``in_flight`` setting at once (``HttpSettings``;
systems without an HTTP client, files and databases, keep one). What must stay in order,
does:

- a record's writes: every write of one link goes in one lane, in journal order;
- a child after its parent: the writes of records that refer to the same parent record (the
  wishes, notes of one customer) go in one lane too, in order, so a connector that makes a
  container per parent (Clientbook's wish collection) makes it once; parents before
  children holds because entities are applied one after the other, parents first;
- the journal: every write was journaled (durable) before any was sent, and results settle
  in the caller's thread, in transactions, as they come back (``apply.py``); a run killed
  with writes in flight replays the unsettled ones, re-matching creates (G-2, G-6);
- the rate limit is the client's (``framework/http.py``), shared by every lane; retries
  and ``Retry-After`` are per request, inside its lane.

Only the sending happens in the lanes (threads over the shared ``httpx.Client``, which
pools its connections); the state store is touched by the caller's thread alone (SQLite's
connection refuses any other).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from typing import Any

from framework.models.base import entity_model
from framework.state.store import Intent

# One unit of a lane: the calls it makes in order, each a batch (or a single write).
Unit = list[list[Intent]]


def lane_key(intent: Intent) -> tuple[Any, ...]:
    """What keeps writes in one lane: the parent records a record refers to, else its link."""
    record = intent.request.get("record") or intent.request.get("base") or {}
    refs = entity_model(intent.entity).ref_fields()
    parents = tuple((name, record.get(name)) for name in sorted(refs) if record.get(name))
    return parents or ("link", intent.link_id if intent.link_id is not None else intent.seq)


def units(intents: list[Intent], batch_size: int) -> list[Unit]:
    """The intents of one entity and side as units of work, each for one lane, in order.

    Without batches (``batch_size`` 1) a unit is the writes of one key, one call each. With
    batches, each unit is one batch filled up to the batch size (a platform's API budget
    counts calls, IS-6: the lanes never make more of them), a key's writes never across two
    units; a key with more writes than a batch holds makes one unit of several batches.
    """
    by_key: dict[tuple[Any, ...], list[Intent]] = {}
    for intent in intents:
        by_key.setdefault(lane_key(intent), []).append(intent)
    if batch_size <= 1:
        return [[[intent] for intent in group] for group in by_key.values()]
    out: list[Unit] = []
    current: list[Intent] = []
    for group in by_key.values():
        if len(group) > batch_size:  # one key, more than a batch: its batches in one lane
            out.append([group[i : i + batch_size] for i in range(0, len(group), batch_size)])
            continue
        if current and len(current) + len(group) > batch_size:
            out.append([current])
            current = []
        current.extend(group)
    if current:
        out.append([current])
    return out


@dataclass
class Sent:
    """What one unit's lane brought back: the calls made and, if it stopped, why."""

    done: list[tuple[Intent, Any, Any]] = field(default_factory=list)
    """(intent, request, result or refusal) for every write sent."""
    stopped: BaseException | None = None
    """The system stayed unreachable or refused us as a whole; the rest was not sent."""
    unsent: list[Intent] = field(default_factory=list)


def in_lanes(
    work: list[Unit],
    lanes: int,
    send: Callable[[Unit], Sent],
    before: Callable[[], bool],
) -> Iterator[Sent]:
    """Run ``send`` over the units, ``lanes`` at a time; yield each unit's outcome as it ends.

    ``before`` runs in the caller's thread before each unit is handed to a lane (the lease's
    fence, the stop flag); when it answers ``False``, or a unit comes back stopped, no unit
    more is started: the ones in flight finish and are yielded, then the ones never started,
    as :class:`Sent` with everything unsent.
    """
    with ThreadPoolExecutor(max_workers=lanes, thread_name_prefix="syncwright-write") as pool:
        running: set[Future[Sent]] = set()
        queue = iter(work)
        halted = False
        while True:
            while not halted and len(running) < lanes:
                unit = next(queue, None)
                if unit is None:
                    break
                if not before():
                    halted = True
                    yield Sent(unsent=[i for call in unit for i in call])
                    break
                running.add(pool.submit(send, unit))
            if not running:
                break
            finished, running = wait(running, return_when=FIRST_COMPLETED)
            for future in finished:
                sent = future.result()
                halted = halted or sent.stopped is not None
                yield sent
        for unit in queue:  # never started
            yield Sent(unsent=[i for call in unit for i in call])
