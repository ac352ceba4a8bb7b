"""One run of one pair: replay what a dead run left, then fetch, reconcile and apply each flow.

Order within a run:
1. writes journaled by a run that died are replayed (re-matched first when creates);
2. for each flow (parents before children), both sides' changes are fetched page by page and
   staged with their cursor in one transaction (``fetch.py``); the platform first, whole,
   then the POS;
   if either side cannot be read, the flow is not reconciled further this run (a
   one-sided merge could let the wrong side win) and what was staged waits, nothing lost;
3. write while reading (a bounded pipeline: fetch -> stage -> reconcile -> apply): once the
   platform is read whole, each staged POS page's records are reconciled as soon as they
   can be decided as the whole read would decide them, and their writes go out while the
   next pages are read (``early.py`` says which records and why: a record that could match
   a platform record, or whose candidate could match a POS record not read yet, or that
   shares a key with one that waits, waits for the whole read);
4. the rest is reconciled in chunks once both sides are read (each chunk one transaction,
   each record in its own savepoint so one bad record is quarantined and the rest go on;
   what its records look up first is read for the whole chunk at once: ``chunk.py``),
   and after each chunk the journaled writes are made; to a system with writes in flight
   they go out while the next chunk is reconciled, at most ``QUEUE_LIMIT`` queued; a flow
   starts once the writes of the entities it refers to have settled (a flow that refers
   to none of those still in flight overlaps their tail), and all settle before the run
   ends (``apply.py``).

Cursors move with what is staged, never with what is written: a page's changes are
staged in the transaction that moves its cursor, and a record reconciled early or late
journals its writes in the transaction that marks its staged change done (kill safety).
"""

from __future__ import annotations

import logging
import time

from framework.engine.apply import Applier, Unavailable
from framework.engine.chunk import ChunkReads
from framework.engine.context import PairContext, Stopped
from framework.engine.early import Early, NotYet
from framework.engine.fetch import Reader
from framework.engine.flows import Side
from framework.engine.guard import Guard
from framework.engine.projection import Deferred
from framework.engine.reconcile import Reconciler
from framework.engine.report import RunReport
from framework.errors import ConnectorError, FatalError, RetryBudgetExhausted, describe
from framework.models.base import entity_model
from framework.state.store import InboxEntry

log = logging.getLogger("syncwright.engine")

CHUNK = 500
PUMP_EVERY = 16  # records reconciled between two looks at the writes in flight


class PairRunner:
    """Runs one pair once."""

    def __init__(self, ctx: PairContext):
        self.ctx = ctx
        self.store = ctx.store
        self.applier = Applier(ctx)
        self.reader = Reader(ctx, self.applier.writes_to, self._reconcile_early)

    def run(self) -> RunReport:
        """Run the pair once and record the run."""
        report = self.ctx.report
        targets = self.ctx.targets
        try:
            self._replay()
            for entity in self._ordered_entities():
                self.ctx.check_stop()
                self._parents_settled(entity)
                if targets is not None:
                    if entity in targets.entities() and self.reader.read_targets(entity, targets):
                        self._reconcile(entity)
                else:
                    self._flow(entity)
            self._settled()
        except Stopped:
            report.stopped = True
            log.warning("%s: stopped on request; the rest waits for the next run", self.ctx.name)
        finally:
            self.applier.close()
            report.seconds = time.monotonic() - report.started
        return report

    # -- order ------------------------------------------------------------------------------

    def _ordered_entities(self) -> list[str]:
        """Flows in configuration order, but every entity after the entities it refers to."""
        order: list[str] = []

        def visit(entity: str, path: tuple[str, ...] = ()) -> None:
            if entity in order or entity in path or entity not in self.ctx.pair.flows:
                return
            for parent in entity_model(entity).ref_fields().values():
                visit(parent, (*path, entity))
            order.append(entity)

        for entity in self.ctx.pair.flows:
            visit(entity)
        return [e for e in order if self.ctx.flow(e).direction.value != "off"]

    def _parents_settled(self, entity: str) -> None:
        """Wait until the writes of the entities ``entity`` refers to have settled.

        A child is reconciled once its parents' links name their real ids; a flow that
        refers to none of the writes still in flight starts at once (its reads and writes
        overlap the tail of the flow before it).
        """
        parents = set(entity_model(entity).ref_fields().values())
        if parents:
            self._settled(parents)

    def _settled(self, entities: set[str] | None = None) -> None:
        try:
            self.applier.finish(entities)
        except Unavailable as exc:
            self.ctx.report.errors.append(str(exc))

    # -- replay -----------------------------------------------------------------------------

    def _replay(self) -> None:
        leftovers = self.store.intents(self.ctx.name)
        if not leftovers:
            return
        log.info(
            "%s: replaying %d journaled writes of an interrupted run", self.ctx.name, len(leftovers)
        )
        self.ctx.report.count("journal", "replayed", len(leftovers))
        try:
            self.applier.apply(replay=True)
        except Unavailable as exc:
            self.ctx.report.errors.append(str(exc))

    # -- one flow ---------------------------------------------------------------------------

    def _flow(self, entity: str) -> None:
        """Read both sides, reconciling what may be early (``early.py``), then the rest."""
        early = Early(self.ctx, entity) if self._pipelined(entity) else None
        if self.reader.read(entity, early):
            if early is None or not early.gave_up:
                self._reconcile(entity, early)
        elif early is not None and early.reconciled:
            # The POS could not be read to its end: what was reconciled early is written
            # (and settled before the next flow, its children); the rest stays staged.
            try:
                self.applier.apply(entity)
                self.applier.finish()
            except Unavailable as exc:
                self.ctx.report.errors.append(str(exc))

    def _pipelined(self, entity: str) -> bool:
        """Whether a flow's POS records may be reconciled while its POS is read (a poll)."""
        return "pos" not in self.reader.unreadable and self.ctx.support("pos", entity).read

    # -- reconcile and apply ----------------------------------------------------------------

    def _reconcile_early(self, early: Early) -> None:
        """Reconcile what of the pages staged so far may be, and start its writes.

        Raises:
            Stopped: a stop was asked for; what is staged stays.
        """
        entity = early.entity
        # A page's changes get sequence numbers above every change still staged, but not
        # always above those reconciled already (SQLite reuses the numbers of deleted rows):
        # the walk starts after the last change this flow left staged, not after the last seen.
        after = early.after
        while early.open:
            batch = self.store.inbox_batch(self.ctx.name, entity, CHUNK, after)
            if not batch:
                return
            after = batch[-1].seq
            consumed, asked, stopped = self._chunk(early.reconciler, batch, early)
            early.after = max([early.after, *(e.seq for e in batch if e.seq not in consumed)])
            self.ctx.progress("reconcile", entity, early.reconciled, None)
            # Written once the lanes run low, else a chunk's worth at a time: each apply
            # looks at every write of the entity not settled yet (up to QUEUE_LIMIT), which
            # once a page costs more than it gains when a rate cap keeps the queue full.
            low = self.applier.queued < CHUNK
            since = early.reconciled - early.written
            if not low and since < CHUNK and not asked and stopped is None:
                self.applier.pump()  # settle what came back, start more
                continue
            early.written = early.reconciled
            if self._written(entity, asked, stopped):
                early.open, early.gave_up = False, True

    def _reconcile(self, entity: str, early: Early | None = None) -> None:
        reconciler = early.whole() if early is not None else Reconciler(self.ctx, entity)
        skip = early.tried if early is not None else set()
        total = self.store.inbox_count(self.ctx.name, entity)
        after, done = 0, 0
        while True:
            batch = self.store.inbox_batch(self.ctx.name, entity, CHUNK, after)
            if not batch:
                break
            after = batch[-1].seq
            done += len(batch)
            if skip:  # tried while reading and deferred: once a run, as any other
                batch = [entry for entry in batch if entry.seq not in skip]
            _, asked, stopped = self._chunk(reconciler, batch)
            self.ctx.progress("reconcile", entity, done, total)
            if self._written(entity, asked, stopped):
                return
        # The guard counts this entity's deletes, blanks and overwrites as a whole: a mass
        # change is held, the rest is written now (guard.py).
        Guard(self.ctx).check(entity)
        try:
            # Settled before a flow that refers to this entity starts, or at the run's end
            # (``_parents_settled``): the next flow's reads overlap these writes' tail.
            self.applier.apply(entity)
        except Unavailable as exc:
            self.ctx.report.errors.append(str(exc))

    def _chunk(
        self, reconciler: Reconciler, batch: list[InboxEntry], early: Early | None = None
    ) -> tuple[set[int], bool, Unavailable | None]:
        """Reconcile a chunk in one transaction (``early``: only what it takes).

        Returns the staged changes consumed, whether a stop was asked for, and the system
        that stayed unreachable.
        """
        with self.store.transaction():
            # The chunk's look-ups, read at once before the first record's savepoint.
            self.ctx.chunk = ChunkReads(
                self.store, self.ctx.name, reconciler.entity, batch, reconciler.s.proj.refs
            )
            try:
                consumed, asked, stopped = self._records(reconciler, batch, early)
            finally:
                self.ctx.chunk = None
            self.store.inbox_done(sorted(consumed))
            self.ctx.fence()  # taken over meanwhile: the chunk rolls back, nothing lost
        return consumed, asked, stopped

    def _records(
        self, reconciler: Reconciler, batch: list[InboxEntry], early: Early | None
    ) -> tuple[set[int], bool, Unavailable | None]:
        """Reconcile a chunk's records, one savepoint each (see :meth:`_chunk`)."""
        consumed: set[int] = set()
        stopped: Unavailable | None = None
        asked = False
        chunk = self.ctx.chunk
        assert chunk is not None
        for n, entry in enumerate(batch, 1):
            if entry.seq in consumed:
                continue
            if self.ctx.stop.is_set():  # after the record in hand; the rest stays
                asked = True
                break
            if early is not None and not early.takes(entry):
                continue
            try:
                chunk.window(n - 1, PUMP_EVERY)  # own links and shadows, up to the next pump
                mine = self._one(reconciler, entry)
                consumed |= mine
                if early is not None:
                    early.reconciled += 1
                    if entry.seq not in mine:  # deferred: not tried twice this run
                        early.tried_early(entry.seq)
                if n % PUMP_EVERY == 0:
                    self.applier.pump()  # writes in flight: settle, start more
                    chunk.links_changed()
            except NotYet:  # rolled back in its savepoint: decided after the read
                assert early is not None
                early.wait(entry)
            except Unavailable as exc:  # the rest stays staged for the next run
                stopped = exc
                break
        return consumed, asked, stopped

    def _written(self, entity: str, asked: bool, stopped: Unavailable | None) -> bool:
        """Make a chunk's journaled writes; whether the flow stops here (reported).

        Raises:
            Stopped: a stop was asked for.
        """
        try:
            self.applier.apply(entity)
            if asked or stopped is not None:
                self.applier.finish()
        except Unavailable as exc:
            stopped = stopped or exc
        if asked:
            raise Stopped(f"{self.ctx.name}: stopped on request")
        if stopped is not None:
            self.ctx.report.errors.append(str(stopped))
            return True
        return False

    def _one(self, reconciler: Reconciler, entry: InboxEntry) -> set[int]:
        """Reconcile one record in its own savepoint: a failure touches only that record.

        Raises:
            Unavailable: a system the record needed (a live match, the associates) stayed
                unreachable; the record stays staged, and so do the ones after it.
        """
        try:
            with self.store.savepoint():
                return reconciler.reconcile(entry)
        except Deferred as exc:
            if (reason := reconciler.park(entry, exc)) is not None:
                log.info("%s %s parked (%s): %s", entry.entity, entry.id, reason, exc)
                return set()
            self.ctx.report.count(entry.entity, "deferred")
            log.info("%s %s deferred: %s", entry.entity, entry.id, exc)
            return set()
        except (RetryBudgetExhausted, FatalError) as exc:
            raise Unavailable(f"reconciling {entry.entity} {entry.id}: {exc}") from exc
        except (ValueError, ConnectorError, KeyError, TypeError) as exc:
            side: Side = "pos" if entry.side == "pos" else "platform"
            self.ctx.quarantine(
                entry.entity,
                side,
                entry.id,
                "G-5",
                f"could not reconcile: {describe(exc)}",
                entry.change,
            )
            return {
                e.seq for e in self.store.inbox_for(self.ctx.name, entry.entity, side, entry.id)
            }
