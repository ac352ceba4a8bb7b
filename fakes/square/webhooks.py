"""The fake Square's webhooks: the Webhook Subscriptions API and signed notifications.

A subscription (``POST /v2/webhooks/subscriptions``) gets a signature key, returned once in
the answer as Square does; from then on every event of the subscribed types is posted to
its ``notification_url`` with ``x-square-hmacsha256-signature``: base64 of HMAC-SHA256, keyed
with the signature key, over the notification URL followed by the raw body (Square's
"Validate that the notification is from Square"). The body is the event itself
(``merchant_id``, ``type``, ``event_id``, ``created_at``, ``data``). Faults: see
``fakes/toolkit/webhooks.py``.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from collections.abc import Awaitable, Callable
from typing import Any

from starlette.requests import Request
from starlette.routing import Route

from fakes.square.state import SquareError, SquareState, square_id
from fakes.toolkit import iso
from fakes.toolkit.webhooks import Notifier

Handler = Callable[[Request], Awaitable[Any]]
Body = Callable[[Request], Awaitable[dict[str, Any]]]


def sign(secret: str, url: str, body: bytes) -> dict[str, str]:
    """Square's signature header for ``body`` sent to ``url``."""
    digest = hmac.new(secret.encode(), url.encode() + body, hashlib.sha256).digest()
    return {"x-square-hmacsha256-signature": base64.b64encode(digest).decode()}


def notifier_for(state: SquareState) -> Notifier:
    """A notifier fed by every event ``state`` records."""
    notifier = Notifier(sign)
    state.listeners.append(lambda e: notifier.send(e["type"], e["event_id"], e))
    return notifier


def webhook_routes(
    state: SquareState,
    notifier: Notifier,
    route: Callable[[str, list[str], Handler], Route],
    body: Body,
) -> list[Route]:
    """``/v2/webhooks/subscriptions`` (list, create) and one subscription (get, delete)."""
    subscriptions: dict[str, dict[str, Any]] = {}

    async def collection(request: Request) -> Any:
        if request.method == "GET":
            shown = [_public(s) for s in subscriptions.values()]
            return {"subscriptions": shown} if shown else {}
        data = (await body(request)).get("subscription") or {}
        url = data.get("notification_url")
        if not url or not data.get("event_types"):
            raise SquareError(
                400,
                "MISSING_REQUIRED_PARAMETER",
                "notification_url and event_types are required",
                "subscription",
            )
        now = iso(state.clock.now())
        made = {
            "id": "wbhk_" + square_id("W", len(subscriptions) + 1).lower(),
            "name": data.get("name"),
            "enabled": data.get("enabled", True),
            "event_types": list(data["event_types"]),
            "notification_url": url,
            "api_version": data.get("api_version") or "2025-08-20",
            "signature_key": secrets.token_urlsafe(16),
            "created_at": now,
            "updated_at": now,
        }
        subscriptions[made["id"]] = made
        notifier.subscribe(url, made["signature_key"], set(made["event_types"]))
        return {"subscription": made}

    async def one(request: Request) -> Any:
        found = subscriptions.get(request.path_params["subscription_id"])
        if found is None:
            raise SquareError(404, "NOT_FOUND", "Subscription not found.")
        if request.method == "DELETE":
            del subscriptions[found["id"]]
            notifier.targets = [t for t in notifier.targets if t.url != found["notification_url"]]
            return {}
        return {"subscription": _public(found)}

    return [
        route("/v2/webhooks/subscriptions", ["GET", "POST"], collection),
        route("/v2/webhooks/subscriptions/{subscription_id}", ["GET", "DELETE"], one),
    ]


def _public(subscription: dict[str, Any]) -> dict[str, Any]:
    """A subscription as listed: the signature key is shown only when it is made."""
    return {k: v for k, v in subscription.items() if k != "signature_key"}
