"""EDT NotificationList text notifications -> canonical SMS notifications (CB-12)."""

from __future__ import annotations

from typing import Any

from framework import SmsNotification
from framework.normalize import phone_e164
from plugins.edge.edt import text
from plugins.edge.kinds import FileKind
from plugins.edge.settings import EdgeSettings


def to_sms(value: dict[str, Any], settings: EdgeSettings) -> SmsNotification | None:
    """The text of a notification; ``None`` for an e-mail notification (Edge sends those).

    Raises:
        ValueError: the phone number cannot be read.
    """
    if str(value.get("NotificationType") or "").lower() != "text":
        return None
    return SmsNotification(
        phone=phone_e164(str(value.get("NotificationPhone") or ""), settings.region),
        body=str(value.get("NotificationText") or ""),
        customer=text(value.get("NotificationCustKey")),
        kind=text(value.get("NotificationReason")),
    )


NOTIFICATIONS = FileKind(
    fields=("phone", "body", "customer", "kind"),
    entity="sms_notification",
    kind="NotificationList",
    wrapper="Notifications",
    key_field="NotificationKey",
    read=to_sms,
)
