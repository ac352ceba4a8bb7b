"""EDT NoteList records <-> canonical notes (CB-7; ``docs/edge-exchange.md``, NoteList)."""

from __future__ import annotations

from typing import Any

from framework import CanonicalRecord, Note
from plugins.edge.edt import format_moment, parse_moment, text
from plugins.edge.kinds import FileKind
from plugins.edge.settings import EdgeSettings


def to_note(value: dict[str, Any], settings: EdgeSettings) -> Note:
    """The canonical note of a NoteList PairValue.

    Raises:
        ValueError: the date is malformed.
    """
    return Note(
        customer=str(value.get("NoteCustKey") or ""),
        text=str(value.get("NoteText") or ""),
        date=parse_moment(value.get("NoteDate"), settings.zone),
        associate=text(value.get("NoteUpdateUser")) or text(value.get("NoteAssociate")),
    )


def to_value(
    record: CanonicalRecord, fields: list[str] | None, key: str, settings: EdgeSettings
) -> dict[str, Any]:
    """The NoteList fields to import for ``fields`` of a note (``None``: all)."""
    assert isinstance(record, Note)
    value: dict[str, Any] = {}
    if fields is None or "customer" in fields:
        value["NoteCustKey"] = record.customer
    if fields is None or "text" in fields:
        value["NoteText"] = record.text
    if fields is None or "date" in fields:
        value["NoteDate"] = format_moment(record.date, settings.zone)
    return value


NOTES = FileKind(
    fields=("customer", "text", "date", "associate"),
    entity="note",
    kind="NoteList",
    wrapper="Notes",
    key_field="NoteKey",
    read=to_note,
    write=to_value,
    transfer="NoteTransfer",
    user_field="NoteUpdateUser",
    deleted=lambda value: bool(value.get("NoteDeleted")),
    delete_value=lambda settings: {"NoteDeleted": True},
    on_create=lambda associate: {"NoteAssociate": associate},
)
