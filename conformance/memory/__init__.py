"""The memory reference system: a connector, its fake and their driver (``docs/memory-api.md``).

The suite puts a memory system on the other side of every connector it tests, and tests the
memory connector itself like any other subject.
"""

from __future__ import annotations

from pathlib import Path

from conformance.memory.connector import MemoryConnector, MemorySettings
from conformance.memory.driver import MemoryDriver
from conformance.memory.fake import MemoryState, make_app
from conformance.subject import FakeSystem, Subject
from fakes.toolkit import FaultState, SyncASGITransport

BASE_URL = "http://memory.test"


def memory_fake(tmp: Path | None = None) -> FakeSystem:
    """A fresh memory system served in-process."""
    state, faults = MemoryState(), FaultState()
    return FakeSystem(
        settings={"base_url": BASE_URL},
        driver=MemoryDriver(state, faults),
        transport=SyncASGITransport(make_app(state, faults)),
    )


subject = Subject(connector="memory", fake=memory_fake, plugin=MemoryConnector())

__all__ = [
    "MemoryConnector",
    "MemoryDriver",
    "MemorySettings",
    "MemoryState",
    "make_app",
    "memory_fake",
    "subject",
]
