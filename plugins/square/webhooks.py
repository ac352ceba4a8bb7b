"""Square's webhooks: verify (the SDK's helper), read events, read customers by id, subscribe.

Square signs each notification with the subscription's signature key: base64 of
HMAC-SHA256 over the notification URL followed by the raw body, in the
``x-square-hmacsha256-signature`` header (Square's "Validate that the notification is from
Square"; the SDK's ``verify_signature`` does it in constant time). ``event_id`` is the same
on every delivery of an event. A merge made in Square's dashboard arrives as a
``customer.created`` of the new profile and a ``customer.deleted`` of each old one, both
with ``event_context.merge``: such events are ``merged``, and the server answers them with
a poll run (the Events API says which profiles the new one replaces).
"""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

import orjson
from square.utils.webhooks_helper import verify_signature

from framework import (
    Change,
    ConnectorError,
    Notification,
    RecordRejected,
    Subscription,
    SystemContext,
    WebhookEvent,
)
from framework.cursors import parse_utc
from plugins.square.feed import _dump
from plugins.square.mapping import deleted, to_change
from plugins.square.sdk import call, client, settings_of

SIGNATURE_HEADER = "x-square-hmacsha256-signature"
EVENT_TYPES = ["customer.created", "customer.updated", "customer.deleted"]
SUBSCRIPTION_NAME = "syncwright"


def verify(system: SystemContext, notification: Notification) -> bool:
    """Whether the signature is Square's for this URL and body (no key configured: never)."""
    key = settings_of(system).webhook_signature_key
    signature = notification.headers.get(SIGNATURE_HEADER)
    if key is None or not signature or not notification.url:
        return False
    try:
        body = notification.body.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return verify_signature(
        request_body=body,
        signature_header=signature,
        signature_key=key.get_secret_value(),
        notification_url=notification.url,
    )


def events(notification: Notification) -> list[WebhookEvent]:
    """The customer event a notification carries (none for other types).

    Raises:
        ValueError: the body is not a Square event.
    """
    try:
        body = orjson.loads(notification.body)
    except orjson.JSONDecodeError:
        raise ValueError("the body is not JSON") from None
    if not isinstance(body, dict) or not body.get("event_id") or not body.get("type"):
        raise ValueError("not a Square event (no event_id or type)")
    kind = str(body["type"])
    if kind not in EVENT_TYPES:
        return []
    data = body.get("data") or {}
    record_id = data.get("id")
    if not record_id:
        raise ValueError(f"a {kind} event without data.id")
    merge = ((data.get("object") or {}).get("event_context") or {}).get("merge") or {}
    ids = [str(record_id)]
    action = kind.partition(".")[2]
    if merge:
        action = "merged"
        ids += [str(i) for i in [merge.get("to_customer_id"), *merge.get("from_customer_ids", [])]]
    created = body.get("created_at")
    return [
        WebhookEvent(
            event_id=str(body["event_id"]),
            entity="customer",
            kind=action,
            record_ids=list(dict.fromkeys(i for i in ids if i and i != "None")),
            occurred_at=parse_utc(created) if created else None,
        )
    ]


def read(system: SystemContext, ids: list[str], groups: dict[str, str]) -> list[Change]:
    """Each customer as Square holds it now (``RetrieveCustomer``); gone ones as deletions."""
    settings = settings_of(system)
    versions: dict[str, Any] = system.cache.setdefault("versions", {})
    changes: list[Change] = []
    for customer_id in ids:
        try:
            body = call(
                system, f"reading customer {customer_id}", client(system).customers.get, customer_id
            )
        except RecordRejected as exc:
            if exc.status != 404:
                raise
            changes.append(deleted(customer_id))
            continue
        if body.customer is None:
            continue
        customer = _dump(body.customer)
        versions[customer["id"]] = customer.get("version")
        changes.append(to_change(customer, settings.region, groups, []))
    return changes


def subscription(system: SystemContext, url: str, create: bool) -> Subscription:
    """The enabled subscription to ``url`` with the customer events, found or made.

    Not ``ok`` while ``webhook_signature_key`` is not set: every notification would be
    refused (after ``--subscribe`` made one, copy its key from the Developer Dashboard).
    """
    found = _subscription(system, url, create)
    if found.ok and settings_of(system).webhook_signature_key is None:
        return found.model_copy(
            update={
                "ok": False,
                "detail": f"{found.detail}; webhook_signature_key is not set, so its "
                "notifications are refused: copy the subscription's signature key from "
                "Square's Developer Dashboard",
            }
        )
    return found


def _subscription(system: SystemContext, url: str, create: bool) -> Subscription:
    sdk = client(system)
    try:
        pager = call(system, "listing webhook subscriptions", sdk.webhooks.subscriptions.list)
        for found in pager:
            if found.notification_url == url and found.enabled is not False:
                missing = ", ".join(sorted(set(EVENT_TYPES) - set(found.event_types or [])))
                if missing:
                    return Subscription(
                        ok=False,
                        id=found.id,
                        detail=f"subscription {found.id} to {url} lacks {missing}",
                    )
                return Subscription(
                    ok=True, id=found.id, detail=f"subscription {found.id} to {url}"
                )
        if not create:
            return Subscription(
                ok=False,
                detail=f"no Square webhook subscription to {url} "
                "(`syncwright serve --subscribe` makes one)",
            )
        made = call(
            system,
            "creating a webhook subscription",
            sdk.webhooks.subscriptions.create,
            idempotency_key=str(uuid.uuid4()),
            subscription={
                "name": SUBSCRIPTION_NAME,
                "event_types": EVENT_TYPES,
                "notification_url": url,
                "api_version": settings_of(system).square_version,
            },
        )
    except ConnectorError as exc:
        return Subscription(ok=False, detail=str(exc))
    sub = made.subscription
    assert sub is not None
    return Subscription(
        ok=True,
        id=sub.id,
        created=True,
        detail=f"subscription {sub.id} to {url} created at {dt.datetime.now(dt.UTC):%H:%M} UTC; "
        "put its signature key in webhook_signature_key",
        signing_secret=sub.signature_key,
    )
