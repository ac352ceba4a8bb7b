"""Podium's webhooks: verify (optional signing), read contact events, read contacts by uid.

Podium signs a webhook's events only when the webhook has a secret: ``podium-timestamp``
(milliseconds) and ``podium-signature``, the hex HMAC-SHA256 of ``timestamp.body`` keyed
with the secret (Podium's "Verify Webhook Signatures"). This connector refuses an unsigned
event unless the system says ``webhook_unsigned = true``, and one whose timestamp is more
than ``webhook_tolerance_seconds`` away from now (a replay). Events: ``contact.created``,
``contact.updated``, ``contact.deleted``, ``contact.merged`` (``data.after`` / ``data.before``
hold the contact, ``metadata`` the type, the event uid and the time). Webhooks are made with
``POST /v4/webhooks`` for the configured location (or the only one), with the secret.
"""

from __future__ import annotations

import hashlib
import hmac
from typing import Any

import orjson

from framework import (
    Change,
    ConnectorError,
    Notification,
    Op,
    Subscription,
    SystemContext,
    WebhookEvent,
)
from framework.cursors import parse_utc
from plugins.podium.api import call, contact_path, find
from plugins.podium.auth import settings_of
from plugins.podium.contacts import location
from plugins.podium.mapping import to_change

EVENT_TYPES = ["contact.created", "contact.updated", "contact.deleted", "contact.merged"]


def verify(system: SystemContext, notification: Notification) -> bool:
    """The signature over ``timestamp.body``, and a timestamp within the tolerance."""
    settings = settings_of(system)
    secret = settings.webhook_secret
    stamp = notification.headers.get("podium-timestamp", "")
    signature = notification.headers.get("podium-signature", "")
    if secret is None:
        return settings.webhook_unsigned and not signature
    if not stamp.isdigit() or not signature:
        return False
    if abs(notification.received_at - int(stamp) / 1000) > settings.webhook_tolerance_seconds:
        return False
    expected = hmac.new(
        secret.get_secret_value().encode(),
        stamp.encode() + b"." + notification.body,
        hashlib.sha256,
    ).hexdigest()
    return hmac.compare_digest(expected, signature)


def events(notification: Notification) -> list[WebhookEvent]:
    """The contact event of a notification (none for other types).

    Raises:
        ValueError: the body is not a Podium event.
    """
    try:
        body = orjson.loads(notification.body)
    except orjson.JSONDecodeError:
        raise ValueError("the body is not JSON") from None
    meta = body.get("metadata") if isinstance(body, dict) else None
    if not isinstance(meta, dict):
        raise ValueError("not a Podium event (no metadata)")
    kind = str(meta.get("eventType") or meta.get("event_type") or "")
    if kind not in EVENT_TYPES:
        return []
    data = body.get("data") or {}
    ids = [
        str(c["uid"])
        for c in (data.get("after"), data.get("before"))
        if isinstance(c, dict) and c.get("uid")
    ]
    if not ids:
        raise ValueError(f"a {kind} event names no contact")
    event_id = meta.get("eventUid") or meta.get("event_uid")
    if not event_id:  # no id of its own: the same delivery has the same body
        event_id = hashlib.sha256(notification.body).hexdigest()
    created = meta.get("createdAt") or meta.get("created_at")
    return [
        WebhookEvent(
            event_id=str(event_id),
            entity="customer",
            kind=kind.partition(".")[2],
            record_ids=list(dict.fromkeys(ids)),
            occurred_at=parse_utc(created) if created else None,
        )
    ]


def read(system: SystemContext, ids: list[str]) -> list[Change]:
    """Each contact as Podium holds it now; gone ones as deletions."""
    settings = settings_of(system)
    changes = []
    for uid in ids:
        contact = find(system, contact_path(uid))
        if contact is None:
            changes.append(Change(entity="customer", id=uid, op=Op.DELETE))
        else:
            changes.append(to_change(contact, settings))
    return changes


def subscription(system: SystemContext, url: str, create: bool) -> Subscription:
    """The webhook to ``url`` with the contact events, found or made (with the secret).

    Not ``ok`` without ``webhook_secret`` unless ``webhook_unsigned`` accepts unsigned events.
    """
    settings = settings_of(system)
    if settings.webhook_secret is None and not settings.webhook_unsigned:
        return Subscription(
            ok=False,
            detail="webhook_secret is not set: Podium would send unsigned events, which are "
            "refused (set it, or webhook_unsigned = true)",
        )
    try:
        hooks = (call(system, "GET", "/v4/webhooks") or {}).get("data") or []
        for hook in hooks:
            if hook.get("url") == url and not hook.get("disabled"):
                missing = ", ".join(sorted(set(EVENT_TYPES) - set(hook.get("eventTypes") or [])))
                if missing:
                    return Subscription(
                        ok=False, id=hook.get("uid"), detail=f"webhook to {url} lacks {missing}"
                    )
                signed = "signed" if hook.get("secret") else "not signed"
                return Subscription(
                    ok=True, id=hook.get("uid"), detail=f"webhook {hook.get('uid')} ({signed})"
                )
        if not create:
            return Subscription(
                ok=False,
                detail=f"no Podium webhook to {url} (`syncwright serve --subscribe` makes one)",
            )
        body: dict[str, Any] = {
            "url": url,
            "eventTypes": EVENT_TYPES,
            "locationUid": location(system),
        }
        if settings.webhook_secret is not None:
            body["secret"] = settings.webhook_secret.get_secret_value()
        made = (call(system, "POST", "/v4/webhooks", json=body) or {}).get("data") or {}
    except ConnectorError as exc:
        return Subscription(ok=False, detail=str(exc))
    return Subscription(
        ok=True, id=made.get("uid"), created=True, detail=f"webhook {made.get('uid')} to {url} made"
    )
