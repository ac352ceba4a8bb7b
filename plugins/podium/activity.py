"""Sales, items, appointments and service jobs, written to what Podium keeps for partners.

Client purchases (PD-4), products (PD-6, Clientele+ only) and Activity Timeline events
(PD-5) are *modelled* partner endpoints (``docs/podium-api.md``). Each write is an upsert or
an event keyed by an id of ours, so a replayed write changes nothing (G-6).

A sold line's item goes up as an archived product (PD-6) unless this process archived that
product, with the same special-order flag, within ``ARCHIVED_TTL`` and has not written it
unarchived since: the product flow archives a sold item in the run that sees the sale (the
flow before purchases), so the line's upsert would change nothing. Only what Podium
accepted is remembered; a restarted process, a failed write or an older memory sends it.
Products are never read back (PD-6), so the hour bounds how long a product a Podium user
unarchived meanwhile could stay so where a new line would have archived it again.
"""

from __future__ import annotations

import datetime as dt
import time
from typing import Any

from framework import (
    ApplyResult,
    Appointment,
    Product,
    Purchase,
    RecordRejected,
    ServiceJob,
    SystemContext,
    WriteOp,
    WriteRequest,
)
from plugins.podium.api import contact_path, write
from plugins.podium.auth import settings_of

ARCHIVED_TTL = 3600.0  # seconds a product this process archived is taken to be archived still
ARCHIVED = "podium.archived"

PRODUCT_FIELDS = {
    "title": "name",
    "description": "description",
    "price": "price",
    "images": "images",
    "archived": "archived",
    "special_order": "specialOrder",
}


def clientele_plus(system: SystemContext) -> bool:
    """Whether the account is on Clientele+ (items sync only there, PD-1)."""
    return settings_of(system).tier == "clientele_plus"


def _no_deletes(system: SystemContext, request: WriteRequest) -> None:
    if request.op is WriteOp.DELETE:
        raise RecordRejected(
            f"{system.name}: Podium keeps {request.entity} history; it is never deleted (G-7)",
            system=system.name,
            rule="G-7",
        )


# -- products (PD-6) --------------------------------------------------------------------------


def _archived(system: SystemContext) -> dict[str, tuple[float, bool | None]]:
    """Products this process archived: xid -> (when, the special-order flag sent, if any)."""
    held: dict[str, tuple[float, bool | None]] = system.cache.setdefault(ARCHIVED, {})
    return held


def archived_already(system: SystemContext, xid: str, special_order: bool) -> bool:
    """Whether this process archived ``xid`` with ``special_order`` within ``ARCHIVED_TTL``."""
    with system.cache_lock(ARCHIVED):
        held = _archived(system).get(xid)
    return (
        held is not None and held[1] is special_order and time.monotonic() - held[0] <= ARCHIVED_TTL
    )


def remember_product(system: SystemContext, body: dict[str, Any]) -> None:
    """Note what a product upsert Podium accepted left archived (fields left out keep theirs)."""
    xid = body["xid"]
    now = time.monotonic()
    with system.cache_lock(ARCHIVED):
        memory = _archived(system)
        held = memory.get(xid)
        if body.get("archived") is False:
            memory.pop(xid, None)
        elif body.get("archived") is True:
            special = body.get("specialOrder", held[1] if held else None)
            memory[xid] = (now, special)
        elif held is not None and "specialOrder" in body:
            memory[xid] = (now, body["specialOrder"])
        if len(memory) % 1024 == 0:  # now and then: forget what is too old to be used
            for key in [k for k, v in memory.items() if now - v[0] > ARCHIVED_TTL]:
                del memory[key]


def apply_product(system: SystemContext, request: WriteRequest) -> ApplyResult:
    """Upsert one item as a product by its Edge item number (``xid``)."""
    _no_deletes(system, request)
    if not clientele_plus(system):
        raise RecordRejected(
            f"{system.name}: PD-1: item sync needs Podium's Clientele+ tier; "
            f"{system.name} is on Clientele",
            system=system.name,
            rule="PD-1",
        )
    product = request.record
    assert isinstance(product, Product)
    values = product.model_dump(mode="json")
    wanted = None if request.op is WriteOp.CREATE else set(request.fields)
    body: dict[str, Any] = {"xid": product.item_key}
    for field, name in PRODUCT_FIELDS.items():
        if (wanted is None or field in wanted) and values.get(field) is not None:
            body[name] = values[field]
    write(system, "POST", "/v4/products", json=body)
    remember_product(system, body)
    return ApplyResult(id=product.item_key)


# -- client purchases (PD-4), sold items as archived products (PD-6) --------------------------


def apply_purchase(system: SystemContext, request: WriteRequest) -> ApplyResult:
    """Upsert one sale line as a client purchase; its item as an archived product.

    The archived product is not sent again when this process archived it already
    (``archived_already``): a sold item is archived once, not once by its item and again
    by each line that sold it.
    """
    _no_deletes(system, request)
    sale = request.record
    assert isinstance(sale, Purchase)
    external = f"{sale.sale_key}-{sale.line_no}"
    moves_item = request.op is WriteOp.CREATE or {"item_key", "special_order"} & set(request.fields)
    if (
        sale.item_key
        and moves_item
        and clientele_plus(system)
        and not archived_already(system, sale.item_key, sale.special_order)
    ):
        archived = {"xid": sale.item_key, "archived": True, "specialOrder": sale.special_order}
        write(system, "POST", "/v4/products", json=archived)
        remember_product(system, archived)
    body = {
        "externalId": external,
        "productXid": sale.item_key,
        "description": sale.description,
        "amount": str(sale.amount),
        "quantity": sale.quantity,
        "purchasedAt": sale.sold_at.isoformat() if sale.sold_at else None,
        "specialOrder": sale.special_order,
    }
    write(system, "POST", contact_path(sale.customer, "purchases"), json=body)
    return ApplyResult(id=external)


# -- the Activity Timeline (PD-5) -------------------------------------------------------------


def _event(
    system: SystemContext,
    request: WriteRequest,
    customer: str,
    subject: dict[str, str],
    action: str,
    title: str,
    details: dict[str, Any],
) -> None:
    body = {
        "externalId": request.idempotency_key,
        "subject": subject,
        "action": action,
        "title": title[:255],
        "occurredAt": dt.datetime.now(dt.UTC).isoformat(timespec="seconds").replace("+00:00", "Z"),
        "details": details,
    }
    write(system, "POST", contact_path(customer, "timeline_events"), json=body)


def appointment_action(request: WriteRequest, appointment: Appointment) -> str:
    """``created``, ``completed``, ``cancelled`` (when the status became so) or ``updated``."""
    if request.op is WriteOp.CREATE:
        return "created"
    if "status" in request.fields and appointment.status != "scheduled":
        return appointment.status
    return "updated"


def apply_appointment(system: SystemContext, request: WriteRequest) -> ApplyResult:
    """One event on the appointment's history: created, updated, completed."""
    _no_deletes(system, request)
    appointment = request.record
    assert isinstance(appointment, Appointment)
    subject_id = request.target_id or request.idempotency_key
    action = appointment_action(request, appointment)
    when = appointment.starts_at.isoformat().replace("+00:00", "Z")
    details = {
        "startsAt": when,
        "endsAt": appointment.ends_at.isoformat().replace("+00:00", "Z")
        if appointment.ends_at
        else None,
        "status": appointment.status,
        "subject": appointment.subject,
        "notes": appointment.details,
    }
    title = f"Appointment {action}: {appointment.subject or 'appointment'} ({when})"
    subject = {"type": "appointment", "externalId": subject_id}
    _event(system, request, appointment.customer, subject, action, title, details)
    return ApplyResult(id=subject_id)


def apply_service_job(system: SystemContext, request: WriteRequest) -> ApplyResult:
    """One event on the job's history, with its status: Not Ready, Done, Picked Up."""
    _no_deletes(system, request)
    job = request.record
    assert isinstance(job, ServiceJob)
    details = {
        "jobNo": job.job_no,
        "kind": job.kind,
        "status": job.status,
        "summary": job.summary,
        "dateEntered": job.date_entered.isoformat() if job.date_entered else None,
        "description": job.description,
    }
    summary = f": {job.summary}" if job.summary else ""
    title = f"{job.kind.capitalize()} {job.job_no} {job.status}{summary}"
    subject = {"type": "service_job", "externalId": job.job_no}
    _event(system, request, job.customer, subject, job.status, title, details)
    return ApplyResult(id=job.job_no)
