"""Where a read of IdoSell's clients stands: the date to ask from, the page, what was delivered.

IdoSell filters clients by last modification date (one-second resolution, the shop's local
time) and pages by page number over results ordered by client id (``docs/idosell-api.md``).
A client changed during a read keeps its place in that order, so a read cannot pick up a
change to a client on a page it has already read; the next read must therefore start from
when this one *started*, not from the latest date it saw. The start is the shop's clock at
the first page (its ``Date`` header) less a small overlap for clock skew and late commits.
Clients changed within that overlap are delivered again; the cursor drops those it already
delivered with identical content (a hash of the client as returned), so a quiet run costs
one call (IS-6). Without a ``Date`` header the read falls back to the latest date it saw.

A client's delivery addresses are not in its list entry, yet adding one moves the entry's
date: an address added within the second of an earlier change leaves the entry exactly as
it was delivered, so what is compared is the entry and its delivery addresses together.
"""

from __future__ import annotations

import datetime as dt
import email.utils
import hashlib
from typing import Any
from zoneinfo import ZoneInfo

import orjson
from pydantic import BaseModel, ConfigDict, Field

DATE = "%Y-%m-%d %H:%M:%S"


def digest(result: dict[str, Any], deliveries: list[Any]) -> str:
    """A short hash of one client as GET returned it, with its delivery addresses."""
    body = orjson.dumps([result, deliveries], option=orjson.OPT_SORT_KEYS)
    return hashlib.blake2b(body, digest_size=8).hexdigest()


def shop_time(date_header: str | None, timezone: str, overlap: float) -> str | None:
    """The shop-local moment ``overlap`` seconds before an HTTP ``Date``, or ``None``."""
    if not date_header:
        return None
    try:
        moment = email.utils.parsedate_to_datetime(date_header)
    except (TypeError, ValueError):
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=dt.UTC)
    local = moment.astimezone(ZoneInfo(timezone)) - dt.timedelta(seconds=overlap)
    return local.strftime(DATE)


class ClientsCursor(BaseModel):
    """The cursor of the clients feed; ``dump`` to store it, ``load`` to resume."""

    model_config = ConfigDict(extra="forbid")

    since: str | None = Field(None, description="Last modification date to ask from (incl.)")
    seen: dict[str, tuple[str, str]] = Field(
        default_factory=dict, description="Delivered at or after `since`: id -> (date, hash)"
    )
    page: int = Field(0, description="The next page of a read under way")
    start: str | None = Field(None, description="Where the next read starts (shop time)")
    high: str | None = Field(None, description="Latest date delivered in this read")
    delivered: dict[str, tuple[str, str]] = Field(default_factory=dict)

    @classmethod
    def load(cls, cursor: str | None) -> ClientsCursor:
        """The cursor a stored string holds (``None``: read everything)."""
        return cls() if cursor is None else cls.model_validate_json(cursor)

    def dump(self) -> str:
        """The cursor as a string for the engine to store."""
        return orjson.dumps(self.model_dump()).decode()

    def started(self, shop_now: str | None) -> None:
        """Note where the next read will start, from the first page's shop time."""
        if self.page == 0:
            self.start = shop_now

    def fresh(self, result: dict[str, Any], deliveries: list[Any]) -> bool:
        """Whether a client is new to this reader; notes it as delivered when it is."""
        client_id = str(result["clientId"])
        moment = str(result["clientsLastModificationDate"])
        mark = (moment, digest(result, deliveries))
        if self.seen.get(client_id) == mark:
            return False
        if self.start is not None:
            self.high = max(self.high or moment, moment)
            if moment >= self.start:
                self.delivered[client_id] = mark
            return True
        if self.high is None or moment > self.high:  # no shop time: keep the latest date's
            self.high, self.delivered = moment, {}
        if moment == self.high:
            self.delivered[client_id] = mark
        return True

    def next(self, more: bool) -> ClientsCursor:
        """The cursor after this page: the next page, or a finished read's."""
        if more:
            return self.model_copy(update={"page": self.page + 1})
        since = self.start or self.high or self.since
        if since is None:
            return ClientsCursor()
        known = {**self.seen, **self.delivered}
        return ClientsCursor(since=since, seen={k: v for k, v in known.items() if v[0] >= since})
