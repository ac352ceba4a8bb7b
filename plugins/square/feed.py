"""Reading Square's customers as a change feed: search by ``updated_at``, then events.

Search shows a new or changed profile only after a delay (documented by Square), so each
incremental read starts ``search_lag_seconds`` before the newest ``updated_at`` already
read, and drops what it already delivered at the same version. Deletions and merges are
not in search: they come from the Events API (``customer.deleted``; a ``customer.created``
with merge context says which profiles the new one replaces).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import orjson
from pydantic import BaseModel, ConfigDict, Field

from framework import Change, ChangePage, SystemContext
from framework.cursors import parse_utc
from plugins.square.mapping import deleted, to_change
from plugins.square.sdk import call, client, settings_of

EVENT_TYPES = ["customer.created", "customer.deleted"]


class SquareCursor(BaseModel):
    """Where a read of a Square system stands (opaque to the engine)."""

    model_config = ConfigDict(extra="forbid")

    phase: str = "customers"
    since: str | None = Field(None, description="updated_at to search from, inclusive")
    seen: dict[str, tuple[str, str]] = Field(
        default_factory=dict, description="id -> (version, updated_at) delivered in the window"
    )
    token: str | None = None
    high: str | None = Field(None, description="Newest updated_at read so far")
    events_since: str | None = None
    events_seen: list[str] = Field(default_factory=list)
    events_token: str | None = None
    events_high: str | None = None

    @classmethod
    def load(cls, text: str | None) -> SquareCursor:
        """The cursor a stored string holds."""
        return cls() if text is None else cls.model_validate_json(text)

    def dump(self) -> str:
        """The cursor as a string."""
        return orjson.dumps(self.model_dump(mode="json")).decode()


def _dump(model: Any) -> dict[str, Any]:
    data: dict[str, Any] = model.model_dump(mode="json", exclude_none=True)
    return data


def fetch(
    system: SystemContext, cursor: str | None, limit: int, groups: dict[str, str]
) -> ChangePage:
    """One page of customer changes."""
    position = SquareCursor.load(cursor)
    if position.phase == "events":
        return _events(system, position, limit, groups)
    return _customers(system, position, limit, groups)


def _customers(
    system: SystemContext, position: SquareCursor, limit: int, groups: dict[str, str]
) -> ChangePage:
    settings = settings_of(system)
    query: dict[str, Any] = {"sort": {"field": "CREATED_AT", "order": "ASC"}}
    if position.since:
        query["filter"] = {"updated_at": {"start_at": position.since}}
    body = call(
        system,
        "searching customers",
        client(system).customers.search,
        query=query,
        limit=max(1, min(limit, 100)),
        cursor=position.token,
    )
    versions = system.cache.setdefault("versions", {})
    changes: list[Change] = []
    for model in body.customers or []:
        customer = _dump(model)
        version = str(customer.get("version", ""))
        versions[customer["id"]] = customer.get("version")
        updated = customer.get("updated_at") or ""
        if position.seen.get(customer["id"], ("", ""))[0] == version:
            continue
        position.seen[customer["id"]] = (version, updated)
        position.high = _later(position.high, updated)
        changes.append(to_change(customer, settings.region, groups, []))
    if body.cursor:
        position.token = body.cursor
        return ChangePage(changes=changes, cursor=position.dump(), more=True)
    _window(position, settings.search_lag_seconds)
    position.token = None
    if settings.read_events:
        position.phase = "events"
        return ChangePage(changes=changes, cursor=position.dump(), more=True)
    return ChangePage(changes=changes, cursor=position.dump())


def _window(position: SquareCursor, lag: float) -> None:
    """The next read starts ``lag`` seconds before the newest profile read."""
    if position.high is None:
        return
    start = parse_utc(position.high) - dt.timedelta(seconds=lag)
    since = start.isoformat().replace("+00:00", "Z")
    if position.since is None or since > position.since:
        position.since = since
    position.seen = {i: seen for i, seen in position.seen.items() if parse_utc(seen[1]) >= start}


def _events(
    system: SystemContext, position: SquareCursor, limit: int, groups: dict[str, str]
) -> ChangePage:
    settings = settings_of(system)
    flt: dict[str, Any] = {"event_types": EVENT_TYPES}
    if position.events_since:
        flt["created_at"] = {"start_at": position.events_since}
    body = call(
        system,
        "searching events",
        client(system).events.search_events,
        query={"filter": flt, "sort": {"field": "DEFAULT", "order": "ASC"}},
        limit=max(1, min(limit, 100)),
        cursor=position.events_token,
    )
    changes: list[Change] = []
    for model in body.events or []:
        event = _dump(model)
        if event.get("event_id") in position.events_seen:
            continue
        created = event.get("created_at") or ""
        if position.events_high != _later(position.events_high, created):
            position.events_high, position.events_seen = created, []
        if created == position.events_high:
            position.events_seen.append(event["event_id"])  # delivered at the boundary
        change = _event_change(event, settings.region, groups)
        if change is not None:
            changes.append(change)
    if body.cursor:
        position.events_token = body.cursor
        return ChangePage(changes=changes, cursor=position.dump(), more=True)
    position.events_since = position.events_high or position.events_since
    position.events_token = None
    position.phase = "customers"
    return ChangePage(changes=changes, cursor=position.dump())


def _later(current: str | None, moment: str) -> str | None:
    """The later of two RFC 3339 times (compared as times, not as text)."""
    if not moment:
        return current
    if current is None or parse_utc(moment) > parse_utc(current):
        return moment
    return current


def _event_change(event: dict[str, Any], region: str, groups: dict[str, str]) -> Change | None:
    data = event.get("data") or {}
    obj = data.get("object") or {}
    merge = (obj.get("event_context") or {}).get("merge") or {}
    if event.get("type") == "customer.deleted":
        return None if merge else deleted(str(data.get("id")))
    if merge and obj.get("customer"):
        return to_change(
            obj["customer"], region, groups, list(merge.get("from_customer_ids") or [])
        )
    return None  # a plain creation: search delivers it
