"""Notes = recent-activity entries of type ``note`` (CB-7); messages come from their feed (CB-9)."""

from __future__ import annotations

from typing import Any

from framework import (
    ApplyResult,
    Change,
    Message,
    Note,
    Op,
    SystemContext,
    WriteOp,
    WriteRequest,
)
from framework.cursors import parse_utc
from framework.errors import describe
from plugins.clientbook.api import delete, feed_base, write


def to_note(entry: dict[str, Any]) -> Note:
    """The canonical note of an activity entry."""
    return Note(
        customer=entry["client_id"],
        text=entry.get("text") or "",
        date=parse_utc(entry["occurred_at"]) if entry.get("occurred_at") else None,
    )


def note_change(entry: dict[str, Any]) -> Change | None:
    """The change an activity entry stands for; ``None`` for entries that are not notes."""
    if entry.get("type") != "note":
        return None
    base = feed_base("note", entry)
    if entry.get("deleted"):
        return Change(**base, op=Op.DELETE)
    try:
        return Change(**base, record=to_note(entry))
    except ValueError as exc:
        return Change(**base, problem=f"activity {entry['id']} cannot be read: {describe(exc)}")


def apply_note(system: SystemContext, request: WriteRequest) -> ApplyResult:
    """Create, edit or delete one note."""
    if request.op is WriteOp.DELETE:
        delete(system, f"/v1/activity/{request.target_id}")
        return ApplyResult(id=request.target_id)
    note = request.record
    assert isinstance(note, Note)
    occurred = note.date.isoformat() if note.date is not None else None
    if request.op is WriteOp.CREATE:
        body: dict[str, Any] = {"client_id": note.customer, "type": "note", "text": note.text}
        if occurred:
            body["occurred_at"] = occurred
        entry = write(
            system,
            "POST",
            "/v1/activity",
            json=body,
            headers={"idempotency-key": request.idempotency_key},
        )
    else:
        body = {}
        if "text" in request.fields:
            body["text"] = note.text
        if "date" in request.fields and occurred:
            body["occurred_at"] = occurred
        entry = write(system, "PATCH", f"/v1/activity/{request.target_id}", json=body)
    return ApplyResult(id=entry["id"], version=str(entry["version"]), record=to_note(entry))


def message_change(message: dict[str, Any]) -> Change:
    """The change a message of the messages feed stands for."""
    base = feed_base("message", message)
    if message.get("deleted"):
        return Change(**base, op=Op.DELETE)
    try:
        record = Message(
            customer=message["client_id"],
            channel=message["channel"],
            subject=message.get("subject"),
            body=message.get("body") or "",
            sent_at=parse_utc(message["sent_at"]),
        )
    except (ValueError, KeyError) as exc:
        return Change(**base, problem=f"message {message['id']} cannot be read: {describe(exc)}")
    return Change(**base, record=record)
