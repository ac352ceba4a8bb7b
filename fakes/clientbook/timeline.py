"""The fake Clientbook's recent activity (notes, message entries), messages and SMS back end."""

from __future__ import annotations

from typing import Any

from fakes.clientbook.validate import Checker, Invalid, moment, one_of, phone, text, validate
from fakes.toolkit import Clock, FeedStore, iso

NOTE: dict[str, Checker] = {
    "client_id": text(64),
    "type": one_of("note"),
    "text": text(5000),
    "occurred_at": moment,
}
SMS: dict[str, Checker] = {"to": phone, "body": text(1600), "reference": text(255)}


class Timeline:
    """Recent activity, messages sent through Clientbook, and texts sent for the store."""

    clock: Clock
    clients: FeedStore
    activity: FeedStore
    messages: FeedStore
    sms: dict[str, dict[str, Any]]

    def create_note(self, body: Any, actor: str = "api") -> dict[str, Any]:
        """A note on a live client's recent activity."""
        fields = validate(body, NOTE, required=("client_id", "text"))
        try:
            self.clients.get(fields["client_id"])
        except KeyError:
            raise Invalid(f"no live client {fields['client_id']}", "client_id") from None
        record = {
            "type": "note",
            "occurred_at": fields.get("occurred_at") or iso(self.clock.now()),
            "created_by": actor,
            "message_id": None,
            **{k: v for k, v in fields.items() if k != "occurred_at"},
        }
        return self.activity.create(record, actor)

    def update_note(self, activity_id: str, body: Any, actor: str = "api") -> dict[str, Any]:
        """Edit a note (its text or time); other entries are read-only."""
        self._note(activity_id)
        fields = validate(body, {"text": NOTE["text"], "occurred_at": NOTE["occurred_at"]})
        if "text" in fields and not fields["text"]:
            raise Invalid("text cannot be empty", "text")
        if "occurred_at" in fields and fields["occurred_at"] is None:
            raise Invalid("occurred_at cannot be null", "occurred_at")
        return self.activity.update(activity_id, fields, actor)

    def delete_note(self, activity_id: str, actor: str = "api") -> None:
        """Delete a note."""
        self._note(activity_id)
        self.activity.delete(activity_id, actor)

    def _note(self, activity_id: str) -> dict[str, Any]:
        record = self.activity.get(activity_id)
        if record["type"] != "note":
            raise Invalid(f"{activity_id} is a {record['type']} entry: read-only", "type")
        return record

    def send_message(
        self,
        client_id: str,
        channel: str,
        body: str,
        actor: str,
        subject: str | None = None,
    ) -> dict[str, Any]:
        """A Clientbook user sends an e-mail or text (in the app: not an API call)."""
        self.clients.get(client_id)
        now = iso(self.clock.now())
        message = self.messages.create(
            {
                "client_id": client_id,
                "channel": channel,
                "subject": subject,
                "body": body,
                "sent_at": now,
                "sent_by": actor,
            },
            actor,
        )
        self.activity.create(
            {
                "client_id": client_id,
                "type": "message",
                "text": subject or body.splitlines()[0][:200],
                "occurred_at": now,
                "created_by": actor,
                "message_id": message["id"],
            },
            actor,
        )
        return message

    def send_sms(self, body: Any) -> dict[str, Any]:
        """Queue a text for the store's SMS back end: never a client, message or activity."""
        fields = validate(body, SMS, required=("to", "body"))
        sms_id = f"sm_{len(self.sms) + 1:06d}"
        record = {
            "id": sms_id,
            "reference": None,
            **fields,
            "status": "queued",
            "created_at": iso(self.clock.now()),
        }
        self.sms[sms_id] = record
        return record
