"""Reading a flow: each side's pages fetched and staged, or the records a webhook named.

Each page is fetched with the engine's retries and staged with its cursor in one
transaction (step 2 of ``runner.py``'s order); the records a notification named are read
by id (``targets.py``).

A side that stays unreachable, or refuses our credentials, is given up on for the rest of
the run (``unreadable``): later flows neither wait out its retries again nor report the same
error again.
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Callable, Generator

from framework.engine.context import PairContext
from framework.engine.early import Early
from framework.engine.flows import Side
from framework.engine.read_ahead import Page, ReadAhead, staged
from framework.engine.retry import call_with_retries
from framework.engine.targets import Targets, batches, missing
from framework.errors import FatalError, RetryBudgetExhausted
from framework.models import ChangePage
from framework.models.base import entity_model

log = logging.getLogger("syncwright.engine")


class Reader:
    """Reads and stages the sides of a pair's flows for one run.

    ``writes_to`` counts the engine's writes to each side (a page read ahead before one may
    be stale); ``on_page`` reconciles what of the POS's pages staged so far may be, while
    the rest is read (``early.py``).
    """

    def __init__(
        self, ctx: PairContext, writes_to: Counter[Side], on_page: Callable[[Early], None]
    ):
        self.ctx = ctx
        self.store = ctx.store
        self.writes_to = writes_to
        self.on_page = on_page
        self.unreadable: set[Side] = set()

    def read(self, entity: str, early: Early | None = None) -> bool:
        """Read and stage the sides of a flow; whether every side could be read.

        With ``early``, the POS's pages are reconciled as they come in (``early.py``).
        """
        flow = self.ctx.flow(entity)
        ok = True
        for side in ("platform", "pos"):
            if not self.ctx.support(side, entity).read:
                continue
            # A one-way flow reads its target too while records created there wait for
            # their ids (an Edge import): else later writes could not find them (G-6).
            if not flow.reads(side) and not self.store.pending_count(self.ctx.name, entity, side):
                continue
            if side in self.unreadable:  # given up on earlier in this run: one error, one wait
                ok = False
                continue
            # The platform is read whole first; the POS's pages are reconciled as they come
            # in only if it was (else the flow is not reconciled at all this run).
            pipeline = early if early is not None and side == early.reading and ok else None
            try:
                self._read_side(entity, side, pipeline)
            except (RetryBudgetExhausted, FatalError) as exc:
                ok = False
                # Unreachable, or refusing us as a whole (credentials): not asked again.
                if isinstance(exc, RetryBudgetExhausted) or exc.status in (401, 403):
                    self.unreadable.add(side)
                doing = f"reading {entity} from {self.ctx.systems[side].name}"
                error = str(exc) if str(exc).startswith(doing) else f"{doing}: {exc}"
                self.ctx.report.errors.append(error)
                # Once on a console (the report shows it); a log file or JSON log keeps it.
                log.error("%s: %s", self.ctx.name, error, extra={"reported": True})
        return ok

    def read_targets(self, entity: str, targets: Targets) -> bool:
        """Read the records a notification named, fresh; stage what changed (targets.py).

        A connector that cannot read records by id is read from its cursor, as a poll
        reads it. Returns whether every named side could be read.
        """
        ok = True
        for side, ids in targets.of(entity):
            if not self.ctx.support(side, entity).read or not self.ctx.flow(entity).reads(side):
                continue
            try:
                if not self._stage_records(entity, side, ids):
                    self._read_side(entity, side)
            except (RetryBudgetExhausted, FatalError) as exc:
                ok = False
                error = f"reading {entity} from {self.ctx.systems[side].name}: {exc}"
                self.ctx.report.errors.append(error)
                log.error("%s: %s", self.ctx.name, error, extra={"reported": True})
        return ok

    def _stage_records(self, entity: str, side: Side, ids: list[str]) -> bool:
        """Stage the named records read by id; ``False`` when the connector cannot."""
        system = self.ctx.systems[side]
        model = entity_model(entity)
        match_on = self.ctx.flow(entity).indexed_keys
        for chunk in batches(ids):
            changes = call_with_retries(
                lambda c=chunk: self.ctx.hooks.fetch_records(system, entity, c),  # type: ignore[misc]
                self.ctx.retry,
                what=f"reading {entity} from {system.name}",
                on_retry=lambda exc: self.ctx.report.count("retry", system.name),
            )
            if changes is None:
                return False
            if gone := missing(chunk, changes):
                log.warning(
                    "%s: %s did not answer for %d %s record(s); the next poll reads them",
                    self.ctx.name,
                    system.name,
                    len(gone),
                    entity,
                )
            read = [staged(model, c, match_on) for c in changes]
            same = self.store.unchanged(self.ctx.name, entity, side, [d for d, _ in read])
            fresh = [s for s in read if s[0]["id"] not in same]
            with self.store.transaction():
                self.ctx.fence()
                for data, keys in fresh:  # the cursor stays where the poll left it
                    self.store.restage(self.ctx.name, entity, side, data)
                    self.store.index_keys(self.ctx.name, entity, side, str(data["id"]), keys)
            self.ctx.report.count(entity, f"read.{side}", len(read))
            if same:
                self.ctx.report.count(entity, "echo", len(same))
        return True

    def _read_side(self, entity: str, side: Side, early: Early | None = None) -> None:
        system = self.ctx.systems[side]
        cursor = self.store.cursor(self.ctx.name, entity, side)
        seen = 0
        pages = self._pages(entity, side, cursor)
        try:
            for page in pages:
                changes = page.staged
                # A record equal to its shadow carries nothing new (an echo, or a system
                # without a change feed returning everything): it is not staged.
                same = self.store.unchanged(self.ctx.name, entity, side, [d for d, _ in changes])
                fresh = [s for s in changes if s[0]["id"] not in same] if same else changes
                with self.store.transaction():
                    self.ctx.fence()  # a run taken over stages nothing more
                    self.store.stage(self.ctx.name, entity, side, fresh, page.cursor, not page.more)
                seen += len(changes)
                self.ctx.report.count(entity, f"read.{side}", len(changes))
                if same:
                    self.ctx.report.count(entity, "echo", len(changes) - len(fresh))
                self.ctx.progress("fetch", entity, seen, page.total)
                if early is not None and early.open:
                    early.page_keys = {str(data["id"]): keys for data, keys in fresh}
                    early.page_records = page.records
                    self.on_page(early)
                if not page.more:
                    log.info(
                        "%s: read %d %s record(s) from %s", self.ctx.name, seen, entity, system.name
                    )
                    return
                self.ctx.check_stop()  # what is staged stays, with its cursor
                if page.cursor == cursor:
                    raise FatalError(
                        f"{system.name} returned the same cursor twice for {entity}; "
                        "stopping to avoid an endless read"
                    )
                cursor = page.cursor
        finally:
            pages.close()  # a child reading ahead stops with the read

    def _pages(self, entity: str, side: Side, cursor: str | None) -> Generator[Page, None, None]:
        """The pages from ``cursor`` on, each asked for once the one before is staged.

        The first is read here; the rest, for a connector that allows it, by a child a page
        ahead (``read_ahead.py``), until it fails or the engine writes to that system: from
        there on they are read here again.
        """
        model = entity_model(entity)
        match_on = self.ctx.flow(entity).indexed_keys
        system, writes = self.ctx.systems[side], self.writes_to
        page = self._page(entity, side, cursor, model, match_on)
        ahead = None
        if page.more and self._reads_ahead(side):  # it reads while the first is staged
            ahead = ReadAhead(system, entity, page.cursor, self.ctx.pair.page_size, match_on)
        before = writes[side]
        try:
            yield page
            while ahead is not None and page.more:
                got = ahead.next()
                if got is None or writes[side] != before:  # failed, or may predate a write
                    break
                page = got
                yield page
        finally:
            if ahead is not None:
                ahead.close()
        while page.more:
            page = self._page(entity, side, page.cursor, model, match_on)
            yield page

    def _page(
        self, entity: str, side: Side, cursor: str | None, model: type, match_on: list[str]
    ) -> Page:
        """One page read here, with the engine's retries, as the inbox stages it."""
        system = self.ctx.systems[side]
        page: ChangePage = call_with_retries(
            lambda: self.ctx.hooks.fetch_changes(system, entity, cursor, self.ctx.pair.page_size),
            self.ctx.retry,
            what=f"reading {entity} from {system.name}",
            on_retry=lambda exc: self.ctx.report.count("retry", system.name),
        )
        return Page.of(model, page, match_on)

    def _reads_ahead(self, side: Side) -> bool:
        """Whether a long read of ``side`` may go on in a process of its own."""
        system = self.ctx.systems[side]
        return (
            self.ctx.read_ahead
            and system.http is None
            and self.ctx.hooks.describe(system.connector).reads_elsewhere
        )
