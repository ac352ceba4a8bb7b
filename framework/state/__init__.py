"""The state store: links and shadows, cursors, inbox, journal, problems, run history."""

from framework.state.sqlite import SQLiteStore
from framework.state.store import StateStore

__all__ = ["SQLiteStore", "StateStore"]
