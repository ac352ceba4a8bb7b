"""Where a read of IdoSell's clients stands: last modification date, page, what was delivered.

IdoSell filters clients by last modification date with one-second resolution and pages by
page number (``docs/idosell-api.md``). A read asks from the last date it saw, inclusive, so
nothing changed within that second is skipped; it drops only the clients it already
delivered at that date with identical content (by a hash of the client as returned), so a
quiet run delivers nothing and costs one call (IS-6).
"""

from __future__ import annotations

import hashlib
from typing import Any

import orjson
from pydantic import BaseModel, ConfigDict, Field


def digest(result: dict[str, Any]) -> str:
    """A short hash of one client as GET returned it."""
    body = orjson.dumps(result, option=orjson.OPT_SORT_KEYS)
    return hashlib.blake2b(body, digest_size=8).hexdigest()


class ClientsCursor(BaseModel):
    """The cursor of the clients feed; ``dump`` to store it, ``load`` to resume."""

    model_config = ConfigDict(extra="forbid")

    since: str | None = Field(None, description="Last modification date to ask from (incl.)")
    seen: dict[str, str] = Field(default_factory=dict, description="Delivered at `since`")
    page: int = Field(0, description="The next page of a read under way")
    high: str | None = Field(None, description="Latest date delivered in this read")
    high_seen: dict[str, str] = Field(default_factory=dict)

    @classmethod
    def load(cls, cursor: str | None) -> ClientsCursor:
        """The cursor a stored string holds (``None``: read everything)."""
        return cls() if cursor is None else cls.model_validate_json(cursor)

    def dump(self) -> str:
        """The cursor as a string for the engine to store."""
        return orjson.dumps(self.model_dump()).decode()

    def fresh(self, result: dict[str, Any]) -> bool:
        """Whether a client is new to this reader; notes it as delivered when it is."""
        client_id, moment = str(result["clientId"]), str(result["clientsLastModificationDate"])
        hashed = digest(result)
        if moment == self.since and self.seen.get(client_id) == hashed:
            return False
        if self.high is None or moment > self.high:
            self.high, self.high_seen = moment, {}
        if moment == self.high:
            self.high_seen[client_id] = hashed
        return True

    def next(self, more: bool) -> ClientsCursor:
        """The cursor after this page: the next page, or a finished read's."""
        if more:
            return self.model_copy(update={"page": self.page + 1})
        if self.high is None:
            return ClientsCursor(since=self.since, seen=self.seen)
        seen = {**self.seen, **self.high_seen} if self.high == self.since else self.high_seen
        return ClientsCursor(since=self.high, seen=seen)
