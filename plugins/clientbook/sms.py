"""Edge's text notifications through Clientbook's SMS back end (CB-12): sent, never shown."""

from __future__ import annotations

from framework import (
    ApplyResult,
    RecordRejected,
    SmsNotification,
    SystemContext,
    WriteOp,
    WriteRequest,
)
from plugins.clientbook.api import call


def apply_sms(system: SystemContext, request: WriteRequest) -> ApplyResult:
    """Send one text (a text once sent cannot be changed or taken back)."""
    if request.op is not WriteOp.CREATE:
        raise RecordRejected(
            f"a text cannot be {request.op.value}d once sent", system=system.name, rule="CB-12"
        )
    sms = request.record
    assert isinstance(sms, SmsNotification)
    sent = call(
        system,
        "POST",
        "/v1/sms",
        json={"to": sms.phone, "body": sms.body, "reference": sms.kind},
        headers={"idempotency-key": request.idempotency_key},
    )
    return ApplyResult(id=sent["id"])
