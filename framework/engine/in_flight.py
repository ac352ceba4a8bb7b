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

from collections import deque
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from queue import SimpleQueue
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


class Lanes:
    """Units of writes to one system: waiting, then in flight in up to ``lanes`` threads.

    Started and collected by the caller's thread only (:meth:`pump`), which runs ``before``
    before each unit starts (the lease's fence, the stop flag): when it answers ``False``, or
    a unit comes back stopped, no unit more starts; the waiting ones come back unsent.
    """

    def __init__(self, lanes: int, before: Callable[[], bool]):
        self.lanes = lanes
        self.before = before
        self.pool = ThreadPoolExecutor(max_workers=lanes, thread_name_prefix="syncwright-write")
        self.waiting: deque[tuple[Unit, Callable[[Unit], Sent]]] = deque()
        self.running: set[Future[Sent]] = set()
        self.ended: SimpleQueue[Future[Sent]] = SimpleQueue()
        """Units that ended, put there by their lanes: a look at the lanes between records
        finds none in one call, where ``concurrent.futures.wait`` locked every unit in
        flight and made a waiter (3.6% of settling's time in a 10k upload)."""
        self.halted = False

    def add(self, unit: Unit, send: Callable[[Unit], Sent]) -> None:
        """Queue a unit; it starts at a later :meth:`pump` with a lane free."""
        self.waiting.append((unit, send))

    @property
    def idle(self) -> bool:
        """Nothing waiting, nothing in flight."""
        return not self.waiting and not self.running

    def pump(self, block: bool = False) -> list[Sent]:
        """Start waiting units in free lanes; the outcomes of those that ended.

        ``block``: wait until at least one unit in flight ends (if any is).
        """
        out: list[Sent] = []
        self._start(out)
        while self.running and (block or not self.ended.empty()):
            future = self.ended.get()  # waits only when ``block`` and none has ended
            block = False
            self.running.discard(future)
            sent = future.result()
            out.append(sent)
            if sent.stopped is not None:
                self.halt(out)
            self._start(out)
        return out

    def drain(self) -> list[Sent]:
        """Everything queued started (unless halted) and ended; their outcomes."""
        out: list[Sent] = []
        while not self.idle:
            out += self.pump(block=True)
        return out

    def halt(self, out: list[Sent]) -> None:
        """Start nothing more: the waiting units go to ``out``, unsent."""
        self.halted = True
        while self.waiting:
            unit, _ = self.waiting.popleft()
            out.append(Sent(unsent=[i for call in unit for i in call]))

    def close(self) -> None:
        """Wait for the units in flight (their outcomes are dropped: replayed next run)."""
        self.waiting.clear()
        self.pool.shutdown(wait=True)

    def _start(self, out: list[Sent]) -> None:
        while self.waiting and len(self.running) < self.lanes:
            if self.halted or not self.before():
                self.halt(out)
                return
            unit, send = self.waiting.popleft()
            future = self.pool.submit(send, unit)
            self.running.add(future)
            future.add_done_callback(self.ended.put)
