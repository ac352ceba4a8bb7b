"""What a store's Podium users see beyond contacts, as ``docs/podium-api.md`` models it.

Products (by the Edge item number, ``xid``), a contact's client purchases (by the sale
line, ``externalId``) and the events of a contact's Activity Timeline are what the store's
integration writes: people look at them, and reword a product's title or description
(Podium's generator wrote them first, PD-6). A product is known by its item number, a
purchase by its sale line, an appointment or a service job by the subject of its events
(the history of one appointment or job); each reads as its latest state, in canonical
terms.
"""

from __future__ import annotations

from typing import Any

from fakes.podium import PodiumState

PRODUCT = {"title": "name", "description": "description", "price": "price", "images": "images"}
PURCHASE = {
    "item_key": "productXid",
    "description": "description",
    "amount": "amount",
    "quantity": "quantity",
    "sold_at": "purchasedAt",
    "special_order": "specialOrder",
}
JOB = {
    "job_no": "jobNo",
    "kind": "kind",
    "status": "status",
    "summary": "summary",
    "description": "description",
    "date_entered": "dateEntered",
}
APPOINTMENT = {
    "starts_at": "startsAt",
    "ends_at": "endsAt",
    "status": "status",
    "subject": "subject",
    "details": "notes",
}
EVENTS = {"service_job": JOB, "appointment": APPOINTMENT}
ACTIONS: dict[str, tuple[str, ...]] = {
    "product": ("edit",),  # staff reword a product's title and description, nothing more
}
ENTITIES = ("product", "purchase", *EVENTS)


class PodiumRecords:
    """Podium's users looking at what the integration wrote."""

    def __init__(self, state: PodiumState):
        self.state = state

    def does(self, entity: str, action: str) -> bool:
        """Products are reworded; purchases and timeline events are only looked at."""
        return action in ACTIONS.get(entity, ())

    def edit(self, entity: str, record_id: str, values: dict[str, Any]) -> None:
        """Reword a product in the web app (in effect at once)."""
        if entity != "product":
            raise NotImplementedError(f"Podium's users do not change {entity} records")
        uid = self.state.xids[record_id]
        change = {PRODUCT[k]: v for k, v in values.items() if k in ("title", "description")}
        self.state.products.update(uid, change)

    def get(self, entity: str, record_id: str) -> dict[str, Any] | None:
        """A record in canonical terms; ``None`` when there is none."""
        if entity == "product":
            return self._product(record_id)
        if entity == "purchase":
            return self._purchase(record_id)
        return self._subject(entity, record_id)

    def ids(self, entity: str) -> list[str]:
        """Item numbers, sale lines, or appointment and job subjects (each once)."""
        if entity == "product":
            return [str(r["xid"]) for r in self.state.products.live()]
        if entity == "purchase":
            return [external for mine in self.state.purchases.values() for external in mine]
        found: dict[str, None] = {}
        for events in self.state.timeline.values():
            for event in events:
                if event["subject"]["type"] == entity:
                    found[event["subject"]["externalId"]] = None
        return list(found)

    def _product(self, xid: str) -> dict[str, Any] | None:
        uid = self.state.xids.get(xid)
        if uid is None:
            return None
        record = self.state.products.get(uid)
        return {
            "item_key": record["xid"],
            **{k: record.get(v) for k, v in PRODUCT.items()},
            "archived": record["archived_at"] is not None,
            "special_order": record["special_order"],
        }

    def _purchase(self, external: str) -> dict[str, Any] | None:
        for contact, mine in self.state.purchases.items():
            if external in mine:
                held = mine[external]
                sale, _, line = external.rpartition("-")
                return {
                    "customer": contact,
                    "sale_key": sale,
                    "line_no": int(line),
                    **{k: held.get(v) for k, v in PURCHASE.items()},
                }
        return None

    def _subject(self, entity: str, external: str) -> dict[str, Any] | None:
        """The latest event of an appointment's or job's history: its state then."""
        latest = None
        for contact, events in self.state.timeline.items():
            for event in events:
                subject = event["subject"]
                if subject["type"] == entity and subject["externalId"] == external:
                    latest = (contact, event)
        if latest is None:
            return None
        contact, event = latest
        details = event["details"]
        return {"customer": contact, **{k: details.get(v) for k, v in EVENTS[entity].items()}}
