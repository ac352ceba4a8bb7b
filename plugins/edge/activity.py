"""Canonical messages -> EDT ActivityList imports: the customer's Activity tab (CB-9)."""

from __future__ import annotations

from typing import Any

from framework import CanonicalRecord, Message
from plugins.edge.edt import format_moment, parse_moment, text
from plugins.edge.kinds import FileKind
from plugins.edge.settings import EdgeSettings

CHANNELS = {"email": "Email", "sms": "Text"}
SOURCE = "Clientbook"


def to_message(value: dict[str, Any], settings: EdgeSettings) -> Message:
    """The canonical message of an ActivityList PairValue (what an import becomes).

    Raises:
        ValueError: the type or date is not one a message has.
    """
    kinds = {v: k for k, v in CHANNELS.items()}
    sent_at = parse_moment(value.get("ActivityDate"), settings.zone)
    if sent_at is None:
        raise ValueError("an Activity entry without ActivityDate")
    return Message(
        customer=str(value.get("ActivityCustKey") or ""),
        channel=kinds.get(str(value.get("ActivityType")), "sms"),
        subject=text(value.get("ActivitySubject")),
        body=str(value.get("ActivityText") or ""),
        sent_at=sent_at,
        associate=text(value.get("ActivityAssociate")),
    )


def to_value(
    record: CanonicalRecord, fields: list[str] | None, key: str, settings: EdgeSettings
) -> dict[str, Any]:
    """The ActivityList fields to import for ``fields`` of a message (``None``: all)."""
    assert isinstance(record, Message)
    every: dict[str, dict[str, Any]] = {
        "customer": {"ActivityCustKey": record.customer},
        "channel": {"ActivityType": CHANNELS[record.channel]},
        "subject": {"ActivitySubject": record.subject},
        "body": {"ActivityText": record.body},
        "sent_at": {"ActivityDate": format_moment(record.sent_at, settings.zone)},
    }
    value: dict[str, Any] = {"ActivitySource": SOURCE}
    for name, part in every.items():
        if fields is None or name in fields:
            value.update(part)
    return value


MESSAGES = FileKind(
    fields=("customer", "channel", "subject", "body", "sent_at", "associate"),
    entity="message",
    kind="ActivityList",
    wrapper="Activities",
    key_field="ActivityKey",
    read=to_message,
    write=to_value,
    transfer="ActivityTransfer",
    user_field="ActivityAssociate",
)
