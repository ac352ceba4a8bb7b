"""The fake Podium's webhooks: ``/v4/webhooks`` and contact events, signed when a secret is set.

A webhook (``POST /v4/webhooks``: ``url``, ``eventTypes``, ``locationUid`` or
``organizationUid``, an optional ``secret``) receives every contact event of its types:
``contact.created``, ``contact.updated``, ``contact.deleted`` (and ``contact.merged``, which
the fake sends from :meth:`PodiumWebhooks.merged`). The body is ``{"data": {"after": contact,
"before": …}, "metadata": {"eventType", "eventUid", "createdAt", "version"}}`` (Podium's
contact webhook event object). With a secret, ``podium-timestamp`` (milliseconds) and
``podium-signature`` (hex HMAC-SHA256 of ``timestamp.body`` keyed with the secret) are sent,
as Podium's "Verify Webhook Signatures" describes; without one, nothing is signed.
"""

from __future__ import annotations

import hashlib
import hmac
import time
import uuid
from collections.abc import Awaitable, Callable
from typing import Any

from starlette.requests import Request
from starlette.routing import Route

from fakes.podium.contacts import podium_uid
from fakes.podium.errors import PodiumError, bad_request
from fakes.podium.state import PodiumState
from fakes.toolkit import iso
from fakes.toolkit.webhooks import Notifier

Handler = Callable[[Request], Awaitable[Any]]
CONTACT_EVENTS = {"contact.created", "contact.updated", "contact.deleted", "contact.merged"}
VERSION = "2021.04.01"


def sign(secret: str, url: str, body: bytes) -> dict[str, str]:
    """Podium's signature headers (none without a secret)."""
    if not secret:
        return {}
    stamp = str(int(time.time() * 1000))
    digest = hmac.new(secret.encode(), stamp.encode() + b"." + body, hashlib.sha256).hexdigest()
    return {"podium-timestamp": stamp, "podium-signature": digest}


class PodiumWebhooks:
    """The webhooks of one fake Podium and the notifier that sends their events."""

    def __init__(self, state: PodiumState, notifier: Notifier | None = None):
        self.state = state
        self.notifier = notifier or Notifier(sign)
        self.hooks: dict[str, dict[str, Any]] = {}
        state.contact_listeners.append(self._changed)

    def _changed(self, kind: str, record: dict[str, Any]) -> None:
        contact = self.state.public(record)
        data: dict[str, Any] = {"after": None if kind == "deleted" else contact, "errors": []}
        if kind == "deleted":
            data["before"] = contact
        self._send(f"contact.{kind}", data)

    def merged(self, survivor: str, gone: str) -> None:
        """Merge ``gone`` into ``survivor`` as Podium does on its own, and tell the webhooks."""
        before = self.state.public(self.state.contacts.get(gone))
        self.state.contacts.listeners = []  # one contact.merged, not an update and a delete
        try:
            kept = self.state.contacts.get(survivor)
            emails = [*kept["emails"], *(e for e in before["emails"] if e not in kept["emails"])]
            self.state.contacts.update(survivor, {"emails": emails})
            self.state.contacts.delete(gone)
        finally:
            self.state.contacts.listeners = self.state.contact_listeners
        after = self.state.public(self.state.contacts.get(survivor))
        self._send("contact.merged", {"after": after, "before": before, "errors": []})

    def _send(self, kind: str, data: dict[str, Any]) -> None:
        event_uid = str(uuid.uuid4())
        body = {
            "data": data,
            "metadata": {
                "eventType": kind,
                "eventUid": event_uid,
                "createdAt": iso(self.state.clock.now()),
                "version": VERSION,
            },
        }
        self.notifier.send(kind, event_uid, body)

    def routes(self, route: Callable[[str, list[str], Handler], Route], body: Any) -> list[Route]:
        """``/v4/webhooks`` (list, create) and ``/v4/webhooks/{uid}`` (get, delete)."""

        async def collection(request: Request) -> Any:
            if request.method == "GET":
                return {"data": [self._shown(h) for h in self.hooks.values()]}
            data = await body(request)
            url, types = data.get("url"), data.get("eventTypes") or []
            if not url:
                raise bad_request("url: the URL events are sent to is required")
            owner = data.get("organizationUid") or data.get("locationUid")
            if owner not in (self.state.organization, *self.state.locations):
                raise bad_request(
                    "locationUid: a location or organization of this account is required"
                )
            now = iso(self.state.clock.now())
            hook = {
                "uid": podium_uid("webhook", len(self.hooks) + 1),
                "url": url,
                "eventTypes": list(types),
                "secret": data.get("secret") or "",
                "disabled": False,
                "locationUid": data.get("locationUid"),
                "organizationUid": data.get("organizationUid"),
                "createdAt": now,
                "updatedAt": now,
            }
            self.hooks[hook["uid"]] = hook
            self.notifier.subscribe(url, hook["secret"], set(types) & CONTACT_EVENTS)
            return {"data": self._shown(hook)}

        async def one(request: Request) -> Any:
            hook = self.hooks.get(request.path_params["uid"])
            if hook is None:
                raise PodiumError(404, "Webhook not found")
            if request.method == "DELETE":
                del self.hooks[hook["uid"]]
                self.notifier.targets = [t for t in self.notifier.targets if t.url != hook["url"]]
            return {"data": self._shown(hook)}

        return [
            route("/v4/webhooks", ["GET", "POST"], collection),
            route("/v4/webhooks/{uid}", ["GET", "DELETE"], one),
        ]

    @staticmethod
    def _shown(hook: dict[str, Any]) -> dict[str, Any]:
        """A webhook as listed: whether it has a secret, never the secret."""
        return {**hook, "secret": "" if not hook["secret"] else "********"}
