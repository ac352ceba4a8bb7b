"""Reading a system's pages ahead, in a process of its own, while this one reconciles.

Reading and mapping a POS's export is Python work (Edge: the export's records, phone
numbers, models, a change's keys): in the engine's process it holds the interpreter while
the records already read wait to be reconciled. A connector that keeps nothing between
pages in the engine's process says so (``ConnectorInfo.reads_elsewhere``); with the engine's
``read_ahead`` setting (off by default: the child's memory, 117-137 MB, for a gain within
the noise so far), a long read of it (more than one page) goes on in a child process, one
page ahead: the child reads
page n + 1 while the engine stages and reconciles page n, on another core.

Nothing about what is staged changes: the child sends each page as the engine would have
staged it (the change's JSON and its match keys) with the page's cursor, and the engine
stages it with that cursor in its own transaction, as before. The child never touches the
state store. If the child fails on a page, the engine reads that page itself (its retries
and errors are the engine's, as before) and goes on without the child. The child stops
when the read ends, when the engine closes it (a stop, an error), or when the engine's
process is gone (its next page finds no one to take it).
"""

from __future__ import annotations

import logging
import multiprocessing
from dataclasses import dataclass, field
from multiprocessing.connection import Connection
from multiprocessing.context import BaseContext
from typing import Any

import orjson

from framework.engine.context import match_keys
from framework.models import CanonicalRecord, Change, ChangePage, SystemContext, SystemSettings
from framework.models.base import entity_model

log = logging.getLogger("syncwright.engine")

Staged = tuple[dict[str, Any], dict[str, list[str]]]
"""A change as staged: its JSON, and its match keys."""

Validated = tuple[dict[str, Any], CanonicalRecord]
"""A record as staged (its JSON) and as its connector made it (validated)."""


def staged(model: type, change: Change, match_on: list[str]) -> Staged:
    """A change as the inbox keeps it: its JSON, and the keys it is matched by."""
    data = change.model_dump(mode="json")
    keys: dict[str, list[str]] = {}
    if change.record is not None and change.problem is None:
        keys = match_keys(model, change.record, change.link_key, match_on)
    elif change.link_key:
        keys = {"link_key": [change.link_key]}
    return data, keys


def _context() -> BaseContext:
    """A fork server's context.

    Children start from a process that holds no threads or locks of the engine's (its
    lanes, its store), with the framework imported once.
    """
    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload(["framework.engine.read_ahead", "framework.plugin_manager"])
    return context


def _serve(
    conn: Connection,
    connector: str,
    name: str,
    settings: SystemSettings,
    entity: str,
    cursor: str | None,
    page_size: int,
    match_on: list[str],
) -> None:
    """The child: read pages from ``cursor`` on, sending each as staged, until the end."""
    from framework.facade import Hooks
    from framework.plugin_manager import get_plugin_manager

    hooks = Hooks(get_plugin_manager([connector]))
    system = SystemContext(name=name, connector=connector, settings=settings, http=None)
    model = entity_model(entity)
    try:
        while True:
            try:
                page = hooks.fetch_changes(system, entity, cursor, page_size)
                read = Page.of(model, page, match_on)
                body: dict[str, Any] = {  # its records stay here: the engine validates again
                    "staged": read.staged,
                    "cursor": read.cursor,
                    "more": read.more,
                    "total": read.total,
                }
            except Exception:  # the engine reads this page itself, with its own retries
                conn.send_bytes(orjson.dumps({"failed": cursor}))
                return
            if not page.more:
                body["peak_rss_mb"] = _peak_rss_mb()
            conn.send_bytes(orjson.dumps(body))
            if not page.more:
                return
            cursor = page.cursor
    except OSError:  # the engine is gone or closed us: nothing to do
        return
    finally:
        system.close()
        conn.close()


PEAK_RSS_MB = 0.0
"""The largest peak memory a child of this process reported (MB; for the benchmark)."""


def _peak_rss_mb() -> float:
    """This process's peak resident memory (Linux's ``VmHWM``), in MB; 0 if unknown."""
    try:
        with open("/proc/self/status") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


@dataclass
class Page:
    """A page as the engine stages it: its changes staged, and the page's cursor."""

    staged: list[Staged]
    cursor: str | None
    more: bool
    total: int | None
    records: dict[str, Validated] = field(default_factory=dict)
    """The connector's records of a page read here, by id, each with its staged JSON (none
    from a child): matching takes them instead of validating the staged JSON again."""

    @classmethod
    def of(cls, model: type, page: ChangePage, match_on: list[str]) -> Page:
        """A connector's page, staged."""
        out = cls([], page.cursor, page.more, page.total)
        for change in page.changes:
            out.staged.append(staged(model, change, match_on))
            record = change.record
            if record is not None and type(record) is model and change.problem is None:
                out.records[change.id] = (out.staged[-1][0]["record"], record)
        return out


class ReadAhead:
    """One long read of ``system``'s ``entity`` from ``cursor`` on, in a child process."""

    def __init__(
        self,
        system: SystemContext,
        entity: str,
        cursor: str | None,
        page_size: int,
        match_on: list[str],
    ):
        context = _context()
        self._conn, child = context.Pipe(duplex=False)
        self._process = context.Process(  # type: ignore[attr-defined]
            target=_serve,
            args=(
                child,
                system.connector,
                system.name,
                system.settings,
                entity,
                cursor,
                page_size,
                match_on,
            ),
            name=f"syncwright-read-{system.name}-{entity}",
            daemon=True,
        )
        self._process.start()
        child.close()  # the child's end lives in the child only: its exit ends our reads

    def next(self) -> Page | None:
        """The next page; ``None``: the child could not read it (read it here)."""
        try:
            body = orjson.loads(self._conn.recv_bytes())
        except (EOFError, OSError):
            log.info("reading ahead ended early; the engine reads the rest itself")
            return None
        if "failed" in body:
            return None
        global PEAK_RSS_MB
        PEAK_RSS_MB = max(PEAK_RSS_MB, body.get("peak_rss_mb", 0.0))
        return Page(
            [(data, keys) for data, keys in body["staged"]],
            body["cursor"],
            body["more"],
            body["total"],
        )

    def close(self) -> None:
        """Stop the child (if it still reads) and wait for it."""
        self._conn.close()
        if self._process.is_alive():
            self._process.kill()
        self._process.join(timeout=10)


__all__ = ["Page", "ReadAhead", "Staged", "staged"]
