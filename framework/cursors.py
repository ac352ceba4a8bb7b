"""A resumable cursor for "updated since" change feeds, for connectors to reuse.

Reading a feed by ``updated_at`` has two traps: records changed at exactly the timestamp a
cursor was taken at must not be skipped, and a read that dies between pages must resume
where it stopped. :class:`FeedCursor` asks the system from the last timestamp *inclusive*
and drops only the records it already delivered at that very timestamp (same id, same
version), so a record changed again at the boundary is delivered again. While a read is
under way it also carries the system's page token. Times are compared in UTC.
"""

from __future__ import annotations

import datetime as dt

import orjson
from pydantic import BaseModel, ConfigDict, Field


def utc(moment: dt.datetime) -> dt.datetime:
    """The same moment in UTC (a naive time is taken as UTC)."""
    if moment.tzinfo is None:
        return moment.replace(tzinfo=dt.UTC)
    return moment.astimezone(dt.UTC)


def parse_utc(text: str) -> dt.datetime:
    """Parse an RFC 3339 / ISO 8601 time with any offset into UTC."""
    return utc(dt.datetime.fromisoformat(text.replace("Z", "+00:00")))


class FeedCursor(BaseModel):
    """Where an updated-since read stands. Encode with ``dump``, restore with ``load``."""

    model_config = ConfigDict(extra="forbid")

    since: dt.datetime | None = Field(None, description="Ask from here, inclusive")
    seen: dict[str, str] = Field(default_factory=dict, description="Delivered at `since`")
    token: str | None = Field(None, description="The system's page token mid-read")
    high: dt.datetime | None = Field(None, description="Latest time delivered in this read")
    high_seen: dict[str, str] = Field(default_factory=dict)

    @classmethod
    def load(cls, cursor: str | None) -> FeedCursor:
        """The cursor a stored string holds (``None``: read everything)."""
        return cls() if cursor is None else cls.model_validate_json(cursor)

    def dump(self) -> str:
        """The cursor as a string for the engine to store."""
        return orjson.dumps(self.model_dump(mode="json")).decode()

    def fresh(self, record_id: str, version: str, updated_at: dt.datetime) -> bool:
        """Whether a record is new to this reader; notes it as delivered when it is."""
        moment = utc(updated_at)
        if self.since is not None and moment == self.since and self.seen.get(record_id) == version:
            return False
        if self.high is None or moment > self.high:
            self.high, self.high_seen = moment, {}
        if moment == self.high:
            self.high_seen[record_id] = version
        return True

    def after_page(self, next_token: str | None) -> FeedCursor:
        """The cursor to store after a page: mid-read with the token, or the finished read's."""
        if next_token is not None:
            return self.model_copy(update={"token": next_token})
        if self.high is None:
            return FeedCursor(since=self.since, seen=self.seen)
        seen = dict(self.high_seen)
        if self.high == self.since:
            seen = {**self.seen, **seen}
        return FeedCursor(since=self.high, seen=seen)
