"""Which clients have a wish-list collection: asked one by one, or known from the feed.

A wish goes into its client's collection named ``Edge`` (CB-6), so before a client's first
wish the connector asks for that collection (``GET /v1/collections?client_id=&name=``):
one call a client. An upload writes the wishes of thousands of clients it has just
created, none of whom has a collection yet: at 100k customers these look-ups were 9,892
of 91,991 calls (10.7%, issue 17), each answered "none".

So once an engine has asked :data:`LOOKUPS` times, it reads the collections feed instead
(:data:`PAGE` a page, then only what changed since) and knows which clients have a live
collection of that name. Only what the feed says is *absent* is used, only while it is
fresh (:data:`FRESH` seconds) and not for a client we have made one for since: such a
client's collection is made at once, without asking. A client the feed shows with one is
asked about as before, so a collection renamed in the app never gets a wish (the reason a
look-up is not kept beyond its batch). Someone naming a collection so in the app between a
read and our create gives the client two of that name: both are read as the wish list
(an item is a wish by its collection's name), and the oldest takes the next wishes.

A feed too long to read in :data:`FIRST_PAGES` pages (a platform with many collections
from before) is not read again: that engine asks one client at a time, as before.
"""

from __future__ import annotations

import itertools
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from framework import ConnectorError, SystemContext
from plugins.clientbook.api import fetch_feed

LOOKUPS = 50
"""Look-ups an engine makes before it reads the feed: a run writing a few wishes never does."""
FRESH = 60.0
"""Seconds what the feed said stays usable; then what changed since is read."""
PAGE = 500
"""Collections a page (the most the feed gives)."""
FIRST_PAGES = 4
"""Pages the first read may take; a longer feed is left to look-ups."""


@dataclass
class CollectionIndex:
    """The clients with a live collection named ``name``, as the collections feed showed."""

    name: str
    lookups: int = 0
    named: dict[str, str] = field(default_factory=dict)
    """Live collections of the name: collection id -> client id."""
    clients: Counter[str] = field(default_factory=Counter)
    """How many of them each client has."""
    made: set[str] = field(default_factory=set)
    """Clients we made one for: asked about from then on (kept: our create and a read
    running beside it may cross)."""
    cursor: str | None = None
    """Where the next read starts (the feed's cursor, as a Clientbook read keeps it)."""
    read_at: float | None = None
    """When the last read that reached the feed's end started (``time.monotonic``)."""
    given_up: bool = False
    lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def absent(self, system: SystemContext, client_id: str) -> bool:
        """Whether ``client_id`` has no collection of the name, known without asking it."""
        with self.lock:
            self.lookups += 1
            if self.given_up or self.lookups <= LOOKUPS:
                return False
            if self.read_at is None or time.monotonic() - self.read_at > FRESH:
                try:
                    self._read(system)
                except (ConnectorError, LookupError, TypeError, ValueError):
                    return False  # unreachable or a page not as documented: ask one by one
            return (
                self.read_at is not None
                and client_id not in self.clients
                and client_id not in self.made
            )

    def made_for(self, client_id: str) -> None:
        """We made ``client_id`` a collection: its next wishes ask where it is."""
        with self.lock:
            self.made.add(client_id)

    def _read(self, system: SystemContext) -> None:
        """Read the feed from where it stopped to its end.

        The first read takes at most :data:`FIRST_PAGES` pages. Until a read ends, nothing
        it read is used.
        """
        first = self.cursor is None
        self.read_at = None
        started = time.monotonic()
        cursor = self.cursor
        for pages in itertools.count(1):
            page = fetch_feed(system, "/v1/collections", cursor, PAGE, self._saw)
            cursor = page.cursor
            if not page.more:
                break
            if first and pages >= FIRST_PAGES:
                self.given_up = True
                return
        self.cursor, self.read_at = cursor, started

    def _saw(self, collection: dict[str, Any]) -> None:
        """Note one collection of the feed (it is no change to sync: nothing is returned)."""
        collection_id, client_id = str(collection["id"]), str(collection["client_id"])
        live = not collection.get("deleted") and collection.get("name") == self.name
        if live and collection_id not in self.named:
            self.named[collection_id] = client_id
            self.clients[client_id] += 1
        elif not live and collection_id in self.named:
            del self.named[collection_id]
            self.clients[client_id] -= 1
            if self.clients[client_id] <= 0:
                del self.clients[client_id]


def index_of(system: SystemContext, name: str) -> CollectionIndex:
    """The system's index of collections named ``name`` (one for the engine's life)."""
    return system.cached(f"collections:{name}", lambda: CollectionIndex(name))
