"""IdoSell's account webhooks: verify, read the event, read the named clients fresh.

A shop sets, in its panel, a URL called when a client account is created or edited (there
is no API to register it, and no event for a deleted account: deletions stay with the
poll). IdoSell's public documentation does not describe the body or a signature; this
connector reads what ``fakes/idosell/webhooks.py`` models (``docs/webhooks.md``): ``{"event":
"clients.created" | "clients.edited", "eventId", "date", "clientId"}`` with
``x-idosell-signature``, the hex HMAC-SHA256 of the body keyed with ``webhook_secret``.
"""

from __future__ import annotations

import hashlib
import hmac

import orjson

from framework import Change, Notification, Subscription, SystemContext, WebhookEvent
from plugins.idosell.api import MAX_ITEMS, IdoSellSettings, Shop
from plugins.idosell.mapping import to_change

KINDS = {"clients.created": "created", "clients.edited": "updated"}


def verify(system: SystemContext, notification: Notification) -> bool:
    """The HMAC of the body with the panel's secret (no secret configured: refused)."""
    assert isinstance(system.settings, IdoSellSettings)
    secret = system.settings.webhook_secret
    signature = notification.headers.get("x-idosell-signature", "")
    if secret is None or not signature:
        return False
    key = secret.get_secret_value().encode()
    expected = hmac.new(key, notification.body, hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected, signature)


def events(notification: Notification) -> list[WebhookEvent]:
    """The account event of a notification.

    Raises:
        ValueError: the body is not such an event.
    """
    try:
        body = orjson.loads(notification.body)
    except orjson.JSONDecodeError:
        raise ValueError("the body is not JSON") from None
    if not isinstance(body, dict) or not body.get("eventId") or not body.get("clientId"):
        raise ValueError("not an IdoSell account event (no eventId or clientId)")
    kind = KINDS.get(str(body.get("event")))
    if kind is None:
        return []
    return [
        WebhookEvent(
            event_id=str(body["eventId"]),
            entity="customer",
            kind=kind,
            record_ids=[str(body["clientId"])],
        )
    ]


def read(system: SystemContext, ids: list[str]) -> list[Change]:
    """The named clients as the shop holds them now (one GET, with delivery addresses)."""
    shop = Shop(system)
    body, _ = shop.get_list(
        "/clients/clients", {"clientsIds": ",".join(ids), "resultsLimit": MAX_ITEMS}
    )
    results = body.get("results") or []
    deliveries = shop.deliveries([int(r["clientId"]) for r in results])
    return [to_change(r, deliveries.get(int(r["clientId"]), [])) for r in results]


def subscription(system: SystemContext, url: str) -> Subscription:
    """Nothing to check through the API: the URL is set in the shop's panel."""
    assert isinstance(system.settings, IdoSellSettings)
    if system.settings.webhook_secret is None:
        return Subscription(
            ok=False,
            detail="webhook_secret is not set: the panel webhook's calls are refused (set "
            f"the URL {url} and a secret in the shop's panel, the secret in webhook_secret)",
        )
    return Subscription(
        ok=True,
        detail=f"set in the shop's panel (no API to check it): {url}, events: account "
        "created and edited, with the secret in webhook_secret",
    )
