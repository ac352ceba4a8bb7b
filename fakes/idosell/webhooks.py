"""The fake IdoSell's webhooks: a notification when a client account is created or edited.

IdoSell lets a shop set a URL in its panel to be called when an account is created or
edited; it has no API to register one, and no event for a deleted account. Its public
documentation (as found) does not describe the body or a signature, so the fake **models**
them, and the connector reads what the fake sends: a JSON body ``{"event":
"clients.created" | "clients.edited", "eventId", "date", "shopId", "clientId"}``, with
``x-idosell-signature``, the hex HMAC-SHA256 of the body keyed with the secret the shop set
in the panel (none: unsigned). ``docs/webhooks.md`` says the same.
"""

from __future__ import annotations

import hashlib
import hmac
import uuid
from typing import Any

from fakes.idosell.state import IdoSellState
from fakes.toolkit.webhooks import Notifier

EVENTS = {"created": "clients.created", "edited": "clients.edited"}


def sign(secret: str, url: str, body: bytes) -> dict[str, str]:
    """The modelled signature header (none without a secret)."""
    if not secret:
        return {}
    return {"x-idosell-signature": hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()}


def notifier_for(state: IdoSellState) -> Notifier:
    """A notifier told of every account created or edited; ``subscribe`` is the panel's URL."""
    notifier = Notifier(sign)

    def changed(kind: str, client: dict[str, Any]) -> None:
        event_id = str(uuid.uuid4())
        body = {
            "event": EVENTS[kind],
            "eventId": event_id,
            "date": client.get("modified"),
            "shopId": 1,
            "clientId": client["clientId"],
        }
        notifier.send(EVENTS[kind], event_id, body)

    state.listeners.append(changed)
    return notifier
