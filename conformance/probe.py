"""One subject system alone, reached through the typed facade (``framework.facade.Hooks``).

The low-level checks (fetch, paging, cursors, round trips, idempotence) call the connector
through the same facade the engine uses, against a fresh fake, with the HTTP client the
framework builds from the system's settings.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from conformance.driver import Driver
from conformance.subject import FakeSystem, Subject
from conformance.systems import base_config, hooks_for, system_table
from framework.config import parse_config
from framework.engine.engine import Engine
from framework.errors import FatalError
from framework.models import ApplyResult, Change, ChangePage, ConnectorInfo, WriteRequest

SYSTEM = "subject"
MAX_PAGES = 1000


@dataclass
class Read:
    """A read from a cursor to the end of the feed: the changes, the pages, the last cursor."""

    changes: list[Change] = field(default_factory=list)
    pages: list[ChangePage] = field(default_factory=list)
    cursor: str | None = None

    def ids(self) -> list[str]:
        """The ids read, in order (a record read twice appears twice)."""
        return [c.id for c in self.changes]

    def latest(self) -> dict[str, Change]:
        """The last change read of each record."""
        return {c.id: c for c in self.changes}


class Probe:
    """A subject's connector and a fresh fake of its system, without a pair or an engine run."""

    def __init__(
        self, subject: Subject, tmp: Path, *, settings: dict[str, Any] | None = None
    ) -> None:
        self.subject = subject
        self.fake: FakeSystem | None = None
        transport: httpx.BaseTransport | None = None
        if settings is None:
            self.fake = subject.fake(tmp / "fake")
            settings, transport = self.fake.settings, self.fake.transport
        self.hooks = hooks_for(subject)
        config = {**base_config(tmp), "systems": {SYSTEM: system_table(subject, settings)}}
        parsed, _ = parse_config(
            config, source=f"conformance:{subject.label}", base_dir=tmp, hooks=self.hooks
        )
        transports = {SYSTEM: transport} if transport is not None else None
        self.engine = Engine(parsed, self.hooks, transports=transports)
        self.system = self.engine.systems[SYSTEM]

    @property
    def info(self) -> ConnectorInfo:
        """The connector's description."""
        return self.hooks.describe(self.subject.connector)

    @property
    def driver(self) -> Driver:
        """The fake's driver."""
        assert self.fake is not None, "a probe on a real system has no driver"
        return self.fake.driver

    def page(self, entity: str, cursor: str | None, limit: int) -> ChangePage:
        """One page, as the engine asks for it."""
        return self.hooks.fetch_changes(self.system, entity, cursor, limit)

    def read(self, entity: str, cursor: str | None = None, limit: int = 100) -> Read:
        """Every page from ``cursor`` until the connector says there is no more.

        Raises:
            FatalError: the connector returned the same cursor twice (an endless read).
        """
        read = Read(cursor=cursor)
        for _ in range(MAX_PAGES):
            page = self.page(entity, read.cursor, limit)
            read.pages.append(page)
            read.changes.extend(page.changes)
            if page.more and page.cursor == read.cursor:
                raise FatalError(f"{self.subject.label} returned the same cursor twice")
            read.cursor = page.cursor
            if not page.more:
                return read
        raise FatalError(f"{self.subject.label}: more than {MAX_PAGES} pages")

    def apply(self, request: WriteRequest) -> ApplyResult:
        """One write."""
        return self.hooks.apply_change(self.system, request)

    def close(self) -> None:
        """Close clients and state."""
        self.engine.close()
