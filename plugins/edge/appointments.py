"""EDT AppointmentList records -> canonical appointments (PD-5; ``docs/edge-exchange.md``).

AppointmentList is a *modelled* export kind: EDT documents no appointment file, and Edge's
appointments reach Podium only through the vendor's own connector.
"""

from __future__ import annotations

from typing import Any, Literal

from framework import Appointment
from plugins.edge.edt import parse_moment, text
from plugins.edge.kinds import FileKind
from plugins.edge.settings import EdgeSettings

STATUS: dict[str, Literal["scheduled", "completed", "cancelled"]] = {
    "scheduled": "scheduled",
    "completed": "completed",
    "cancelled": "cancelled",
}


def to_appointment(value: dict[str, Any], settings: EdgeSettings) -> Appointment:
    """The canonical appointment of an AppointmentList PairValue.

    Raises:
        ValueError: the status is not Scheduled, Completed or Cancelled, the start is
            missing, or a date-time is malformed.
    """
    raw = str(value.get("AppointmentStatus") or "").strip()
    status = STATUS.get(raw.lower())
    if status is None:
        raise ValueError(f"AppointmentStatus {raw!r} is not Scheduled, Completed or Cancelled")
    starts = parse_moment(value.get("AppointmentDate"), settings.zone)
    if starts is None:
        raise ValueError("an appointment without AppointmentDate")
    return Appointment(
        customer=str(value.get("AppointmentCustKey") or ""),
        starts_at=starts,
        ends_at=parse_moment(value.get("AppointmentEndDate"), settings.zone),
        status=status,
        subject=text(value.get("AppointmentReason")),
        details=text(value.get("AppointmentNotes")),
        associate=text(value.get("AppointmentAssociate")),
    )


APPOINTMENTS = FileKind(
    fields=("customer", "starts_at", "ends_at", "status", "subject", "details", "associate"),
    entity="appointment",
    kind="AppointmentList",
    wrapper="Appointments",
    key_field="AppointmentKey",
    read=to_appointment,
)
