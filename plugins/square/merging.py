"""Merging duplicate Square customers a user chose (SQ-2): nothing is lost.

The survivor keeps its id and its values and takes the others' values where it has none.
A Square profile holds one e-mail and one phone: the others' differing e-mails and phones
are kept in the survivor's ``note``. The others' bookings move to the survivor, their
groups are added to it, and then they are deleted. What was done is returned for the
engine's merge record.
"""

from __future__ import annotations

from typing import Any

from framework import MergeRequest, RecordRejected, SystemContext
from framework.normalize import email_key, phone_e164
from plugins.square.sdk import call, client, settings_of

FILLED = (
    "given_name",
    "family_name",
    "company_name",
    "email_address",
    "phone_number",
    "address",
    "birthday",
)
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


def merge(system: SystemContext, request: MergeRequest) -> tuple[dict[str, Any], dict[str, Any]]:
    """Merge ``request.others`` into ``request.survivor``; returns the survivor and an account."""
    survivor = _get(system, request.survivor)
    others = [_get(system, i) for i in request.others]
    region = settings_of(system).region
    update: dict[str, Any] = {}
    for name in FILLED:
        if survivor.get(name) is None:
            value = next((o[name] for o in others if o.get(name) is not None), None)
            if value is not None:
                update[name] = value
    final = {**survivor, **update}
    kept = _extra_contacts(final, others, region)
    if kept:
        lines = [f"Also reachable (merged by syncwright): {', '.join(kept)}"]
        update["note"] = "\n".join(filter(None, [survivor.get("note"), *lines]))
    if request.link_key and survivor.get("reference_id") != request.link_key:
        update["reference_id"] = request.link_key
    customers = client(system).customers
    if update:
        call(
            system,
            f"updating customer {request.survivor}",
            customers.update,
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
            customers.delete,
            other["id"],
            version=other.get("version"),
        )
    details = {
        "filled": sorted(k for k in update if k not in ("note", "reference_id")),
        "contacts_kept_in_note": kept,
        "bookings_moved": bookings,
        "groups_added": groups,
        "deleted": [o["id"] for o in others],
    }
    return _get(system, request.survivor), details


def _extra_contacts(final: dict[str, Any], others: list[dict[str, Any]], region: str) -> list[str]:
    """The others' e-mails and phones the survivor does not hold (normalised comparison)."""
    have = {email_key(final["email_address"])} if final.get("email_address") else set()
    phones = {_phone(final["phone_number"], region)} if final.get("phone_number") else set()
    kept: list[str] = []
    for other in others:
        email = other.get("email_address")
        if email and email_key(email) not in have:
            have.add(email_key(email))
            kept.append(email)
        phone = other.get("phone_number")
        if phone and _phone(phone, region) not in phones:
            phones.add(_phone(phone, region))
            kept.append(phone)
    return kept


def _phone(text: str, region: str) -> str:
    try:
        return phone_e164(text, region)
    except ValueError:
        return text


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
