"""Customers as Podium contacts: the feed, creates (202, adopted later), updates, matching.

A create answers 202 without the contact's uid: it carries the link code (the write's
idempotency key, in the ``Edge link`` attribute) and is reported pending, and the engine
adopts the contact by that code when it shows up in the feed (``docs/podium-api.md``).
"""

from __future__ import annotations

import datetime as dt
import time
from typing import Any

import orjson
from pydantic import BaseModel, ConfigDict, Field

from framework import (
    ApplyResult,
    ChangePage,
    Customer,
    FatalError,
    MatchQuery,
    MatchResult,
    RecordRejected,
    RetryableError,
    SystemContext,
    WriteOp,
    WriteRequest,
)
from framework.cursors import parse_utc
from plugins.podium.api import call, contact_path, find, write
from plugins.podium.auth import settings_of
from plugins.podium.mapping import (
    attribute_changes,
    create_body,
    link_code,
    stored_contact,
    to_change,
    to_customer,
    update_body,
)

ATTRIBUTES_TTL = 3600.0


class PodiumCursor(BaseModel):
    """Where a read of the contacts feed stands (opaque to the engine).

    Each read asks from ``lag_seconds`` before the newest ``updatedAt`` already read (whole
    seconds, "updated after"), and drops what it already delivered at the same version: a
    contact whose queued write took effect late is still read, and nothing is read twice.
    """

    model_config = ConfigDict(extra="forbid")

    since: str | None = Field(None, description="Newest updatedAt of the last finished read")
    seen: dict[str, tuple[str, str]] = Field(
        default_factory=dict, description="uid -> (version, updatedAt) delivered in the window"
    )
    token: str | None = None
    high: str | None = None

    @classmethod
    def load(cls, text: str | None) -> PodiumCursor:
        """The cursor a stored string holds."""
        return cls() if text is None else cls.model_validate_json(text)

    def dump(self) -> str:
        """The cursor as a string."""
        return orjson.dumps(self.model_dump(mode="json")).decode()

    def start(self, lag: float) -> dt.datetime | None:
        """The ``updated_at`` to ask with: a whole second at or before ``since - lag``."""
        if self.since is None:
            return None
        moment = parse_utc(self.since) - dt.timedelta(seconds=lag)
        return moment.replace(microsecond=0) - dt.timedelta(seconds=1)


def fetch(system: SystemContext, cursor: str | None, limit: int) -> ChangePage:
    """One page of contacts updated since the cursor, oldest first."""
    settings = settings_of(system)
    position = PodiumCursor.load(cursor)
    params: dict[str, Any] = {"limit": max(1, min(limit, 100))}
    if (start := position.start(settings.feed_lag_seconds)) is not None:
        params["updated_at"] = start.strftime("%Y-%m-%dT%H:%M:%SZ")
    if position.token:
        params["cursor"] = position.token
    body = call(system, "GET", "/v4/contacts", params=params) or {}
    changes = []
    for contact in body.get("data") or []:
        change = to_change(contact, settings)
        version = str(change.version)
        if position.seen.get(change.id, ("", ""))[0] == version:
            continue  # delivered already, unchanged since
        position.seen[change.id] = (version, contact["updatedAt"])
        if position.high is None or parse_utc(contact["updatedAt"]) > parse_utc(position.high):
            position.high = contact["updatedAt"]
        changes.append(change)
    token = (body.get("metadata") or {}).get("nextCursor")
    if token:
        position.token = token
        return ChangePage(changes=changes, cursor=position.dump(), more=True)
    position.token = None
    if position.high is not None:
        position.since = position.high
    floor = position.start(settings.feed_lag_seconds)
    if floor is not None:
        position.seen = {i: v for i, v in position.seen.items() if parse_utc(v[1]) >= floor}
    return ChangePage(changes=changes, cursor=position.dump())


# -- writing ----------------------------------------------------------------------------------


def apply(system: SystemContext, request: WriteRequest) -> ApplyResult:
    """Create, update or delete one contact."""
    if request.op is WriteOp.DELETE:
        write(system, "DELETE", contact_path(str(request.target_id)))
        return ApplyResult(id=request.target_id)
    assert isinstance(request.record, Customer)
    if request.op is WriteOp.CREATE or (request.target_id is None and request.link_key is None):
        # An update of a record whose create never went through is that create.
        return _create(system, request, request.record)
    uid = request.target_id or _pending(system, request, request.record)
    _update(system, uid, request.record, request.fields)
    return ApplyResult(id=uid)


def _create(system: SystemContext, request: WriteRequest, customer: Customer) -> ApplyResult:
    settings = settings_of(system)
    if not (customer.emails or customer.phones):
        raise RecordRejected(
            f"{system.name}: a Podium contact needs a phone number or an e-mail; this "
            "customer has neither, so it is not uploaded (PD-2)",
            system=system.name,
            rule="PD-2",
            field="emails",
        )
    if request.replay and (found := _live(system, customer)):
        uid = next(iter(found))  # an earlier attempt's create took effect: update it
        _update(system, uid, customer, None)
        return ApplyResult(id=uid)
    code = request.link_key or request.idempotency_key
    values = {settings.link_attribute: code, **attribute_changes(customer, None, settings)}
    body = create_body(customer, location(system))
    body["attributes"] = [
        {"uid": attribute_uid(system, label), "value": value} for label, value in values.items()
    ]
    call(system, "POST", "/v4/contacts", json=body)
    return ApplyResult(pending=True, link_key=code, record=stored_contact(body, values, settings))


def _update(system: SystemContext, uid: str, customer: Customer, fields: list[str] | None) -> None:
    settings = settings_of(system)
    body = update_body(customer, fields if fields is not None else list(Customer.model_fields))
    if body:
        write(system, "PATCH", contact_path(uid), json=body)
    for label, value in attribute_changes(customer, fields, settings).items():
        path = contact_path(uid, "attributes", attribute_uid(system, label))
        if value is None:
            write(system, "DELETE", path)
        else:
            write(system, "POST", path, json={"value": value})


def _pending(system: SystemContext, request: WriteRequest, customer: Customer) -> str:
    """The uid of a contact whose create is queued, once it is visible.

    Raises:
        RetryableError: it is not visible yet (the write is retried, then left for later).
    """
    settings = settings_of(system)
    for uid, contact in _live(system, customer).items():
        if link_code(contact, settings) == request.link_key:
            return uid
    raise RetryableError(
        f"{system.name}: the contact created with link code {request.link_key} is not "
        "visible yet (Podium queues writes)",
        system=system.name,
        retry_after=settings.visibility_wait,
    )


def _live(system: SystemContext, customer: Customer) -> dict[str, dict[str, Any]]:
    """Contacts Podium holds now under any of the customer's e-mails or phone numbers."""
    found: dict[str, dict[str, Any]] = {}
    identifiers = [e.address for e in customer.emails] + [p.number for p in customer.phones]
    for identifier in identifiers:
        contact = find(system, contact_path(identifier))
        if contact is not None:
            found.setdefault(contact["uid"], contact)
    return found


def match(system: SystemContext, query: MatchQuery) -> MatchResult | None:
    """On a replayed create, look Podium up live by e-mail and phone (G-3, G-6)."""
    if not query.replay or query.entity != "customer":
        return None
    assert isinstance(query.record, Customer)
    settings = settings_of(system)
    found = _live(system, query.record)
    records = {uid: to_customer(contact, settings) for uid, contact in found.items()}
    return MatchResult(ids=list(found), records=dict(records), source="podium lookup")


# -- what creates need: the location, attribute definitions ------------------------------------


def location(system: SystemContext) -> str:
    """The location contacts are made in: the configured one, else the only one there is.

    Raises:
        FatalError: the organization has several locations and none is configured.
    """
    settings = settings_of(system)
    if settings.location_uid:
        return settings.location_uid

    def read() -> str:
        uids = [str(loc["uid"]) for loc in (call(system, "GET", "/v4/locations") or {})["data"]]
        if len(uids) != 1:
            raise FatalError(
                f"{system.name}: the organization has {len(uids)} locations; set location_uid "
                "to the one contacts belong to",
                system=system.name,
            )
        return uids[0]

    return system.cached("podium.location", read)  # read once, whoever asks


def attribute_uid(system: SystemContext, label: str) -> str:
    """The uid of the contact attribute called ``label``, defined first when Podium lacks it.

    Writes in flight ask at once: one thread reads the list (and defines a missing label)
    while the others wait, so the list is read once and no label is defined twice.
    """
    with system.cache_lock("podium.attributes"):
        cached = system.cache.get("podium.attributes")
        if cached is None or time.monotonic() - cached[0] > ATTRIBUTES_TTL:
            body = call(system, "GET", "/v4/contact_attributes") or {}
            cached = (time.monotonic(), {a["label"]: a["uid"] for a in body.get("data") or []})
            system.cache["podium.attributes"] = cached
        known: dict[str, str] = cached[1]
        if label not in known:
            made = call(
                system,
                "POST",
                "/v4/contact_attributes",
                json={"label": label, "dataType": "STRING", "ownerResourceType": "PRODUCT"},
            )
            known[label] = made["data"]["uid"]
        return known[label]
