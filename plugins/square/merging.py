"""Merging duplicate Square customers a user chose (SQ-2): nothing is lost.

The survivor keeps its id and its values and takes the others' where it has none. What a
profile cannot hold twice (a second e-mail, phone, address or note) goes into the
survivor's customer custom attributes, as structured values of their Square type
(``merge_plan.py`` decides where each value goes, ``attributes.py`` writes them). The
others' bookings move to the survivor, their groups are added to it, and only then are they
deleted, so a merge cut short loses nothing and can be run again. The report says where
every value of every merged profile is now.
"""

from __future__ import annotations

from typing import Any

from framework import KeptValue, MergeRequest, RecordRejected, SystemContext
from plugins.square import attributes, merge_plan
from plugins.square.sdk import call, client, settings_of

FILLED = ("given_name", "family_name", "company_name", "birthday")
BOOKINGS_FROM = "2000-01-01T00:00:00Z"
BOOKINGS_TO = "2100-01-01T00:00:00Z"


def _get(system: SystemContext, customer_id: str) -> dict[str, Any]:
    body = call(
        system, f"reading customer {customer_id}", client(system).customers.get, customer_id
    )
    if body.customer is None:
        raise RecordRejected(f"{system.name}: customer {customer_id} is gone", rule="SQ-2")
    data: dict[str, Any] = body.customer.model_dump(mode="json", exclude_none=True)
    return data


def merge(
    system: SystemContext, request: MergeRequest
) -> tuple[dict[str, Any], dict[str, Any], list[KeptValue]]:
    """Merge ``request.others`` into ``request.survivor``.

    Returns the survivor as stored, an account of what was done, and where every contact
    method and note of every merged profile is now.
    """
    survivor = _get(system, request.survivor)
    others = [_get(system, i) for i in request.others]
    held = {c["id"]: attributes.values_of(system, c["id"]) for c in (survivor, *others)}
    placed = merge_plan.plan(survivor, others, held, settings_of(system).region)
    update: dict[str, Any] = dict(placed.fields)
    for name in FILLED:
        if survivor.get(name) is None:
            value = next((o[name] for o in others if o.get(name) is not None), None)
            if value is not None:
                update[name] = value
    if request.link_key and survivor.get("reference_id") != request.link_key:
        update["reference_id"] = request.link_key
    created = attributes.ensure_definitions(system, placed.definitions())
    attributes.write(system, request.survivor, {k: v for k, (_, v) in placed.attributes.items()})
    if update:
        call(
            system,
            f"updating customer {request.survivor}",
            client(system).customers.update,
            request.survivor,
            version=survivor.get("version"),
            **update,
        )
    groups = _groups(system, survivor, others)
    bookings = _bookings(system, request.survivor, request.others)
    for other in others:
        call(
            system,
            f"deleting customer {other['id']}",
            client(system).customers.delete,
            other["id"],
            version=other.get("version"),
        )
    details = {
        "filled": sorted(k for k in update if k != "reference_id"),
        "custom_attributes_set": sorted(placed.attributes),
        "definitions_created": created,
        "bookings_moved": bookings,
        "groups_added": groups,
        "deleted": [o["id"] for o in others],
    }
    kept = [
        KeptValue(field=p.field, value=p.value, source=p.source, place=p.place)
        for p in placed.placements
    ]
    return _get(system, request.survivor), details, kept


def _groups(
    system: SystemContext, survivor: dict[str, Any], others: list[dict[str, Any]]
) -> list[str]:
    have = set(survivor.get("group_ids") or [])
    added = []
    for other in others:
        for group_id in other.get("group_ids") or []:
            if group_id not in have:
                call(
                    system,
                    f"adding customer {survivor['id']} to group {group_id}",
                    client(system).customers.groups.add,
                    customer_id=survivor["id"],
                    group_id=group_id,
                )
                have.add(group_id)
                added.append(group_id)
    return added


def _bookings(system: SystemContext, survivor: str, others: list[str]) -> list[str]:
    """Move every booking of the others to the survivor (appointment clients are customers)."""
    bookings = client(system).bookings
    moved = []
    for other in others:
        cursor = None
        while True:
            page = call(
                system,
                f"listing bookings of {other}",
                bookings.list,
                customer_id=other,
                start_at_min=BOOKINGS_FROM,
                start_at_max=BOOKINGS_TO,
                cursor=cursor,
            )
            for booking in page.items or []:
                call(
                    system,
                    f"moving booking {booking.id}",
                    bookings.update,
                    booking_id=str(booking.id),
                    booking={"customer_id": survivor, "version": booking.version},
                )
                moved.append(str(booking.id))
            cursor = page.response.cursor
            if not cursor:
                break
    return moved
