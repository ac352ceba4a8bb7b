"""What Clientbook's users see and do beyond clients, as ``docs/clientbook-api.md`` models it.

A wish is an item of the client's collection named ``Edge`` (every item is a product); a
note is a recent-activity entry of type ``note``; a message is sent by a user in the app;
products, client purchases, service-job placeholders and texts of the SMS back end are
what the store's integration writes and people look at. Read back in canonical terms.
"""

from __future__ import annotations

from typing import Any

from fakes.clientbook import ClientbookState
from fakes.toolkit import FeedStore

WISH_LIST = "Edge"
ITEM = {
    "buy_for": "buy_for",
    "event": "occasion",
    "event_date": "occasion_date",
    "date_entered": "added_on",
    "date_bought": "bought_on",
}
PRODUCT = (
    "title",
    "description",
    "category",
    "vendor",
    "inventory_type",
    "price",
    "images",
    "special_order",
    "archived",
)
SALE = {"description": "description", "amount": "amount", "quantity": "quantity"}
ACTIONS: dict[str, tuple[str, ...]] = {
    "message": ("add",),  # sent in the app, never changed or taken back
    "sms_notification": ("add",),
}


class ClientbookRecords:
    """Clientbook's users, and what they see, beyond clients."""

    def __init__(self, state: ClientbookState):
        self.state = state

    # -- making -----------------------------------------------------------------------------

    def add(self, entity: str, data: dict[str, Any], actor: str) -> str:
        """Make one record as a user (or, for what only the integration writes, as it)."""
        state = self.state
        if entity == "wish":
            return self._add_wish(data, actor)
        if entity == "note":
            body = {"client_id": data["customer"], "type": "note", "text": data["text"]}
            if data.get("date"):
                body["occurred_at"] = data["date"]
            return str(state.create_note(body, actor)["id"])
        if entity == "message":
            sent = state.send_message(
                data["customer"], data["channel"], data["body"], actor, data.get("subject")
            )
            return str(sent["id"])
        if entity == "product":
            body = {k: data.get(k) for k in PRODUCT if data.get(k) is not None}
            return str(state.create_product({**body, "sku": data.get("item_key")}, actor)["id"])
        if entity == "purchase":
            return self._add_purchase(data, actor)
        if entity == "service_job":
            return self._add_job(data, actor)
        if entity == "sms_notification":
            body = {"to": data["phone"], "body": data["body"], "reference": data.get("kind")}
            return str(state.send_sms(body)["id"])
        raise NotImplementedError(f"no {entity} records in Clientbook")

    def _add_wish(self, data: dict[str, Any], actor: str) -> str:
        state = self.state
        client = data["customer"]
        lists = state.collections_of(client, WISH_LIST)
        collection = (
            lists[0]
            if lists
            else state.create_collection({"client_id": client, "name": WISH_LIST}, actor)
        )
        if data.get("item_key"):
            product, _ = state.upsert_product(
                data["item_key"], {"defaults": {"title": data["description"]}}, actor
            )
        else:
            product = state.create_product({"title": data["description"], "kind": "wish"}, actor)
        body = {
            "collection_id": collection["id"],
            "product_id": product["id"],
            "title": data["description"],
            **{v: data.get(k) for k, v in ITEM.items() if data.get(k) is not None},
        }
        return str(state.create_item(body, actor)["id"])

    def _add_purchase(self, data: dict[str, Any], actor: str) -> str:
        body = {
            "client_id": data["customer"],
            "kind": "sale",
            "description": data.get("description"),
            "amount": data.get("amount"),
            "quantity": data.get("quantity") or 1,
            "purchased_on": data.get("sold_at"),
            "reference": f"{data.get('sale_key') or ''}{data.get('line_no') or ''}" or None,
        }
        if data.get("item_key"):
            product, _ = self.state.upsert_product(
                data["item_key"],
                {"product": {"archived": True}, "defaults": {"title": data["item_key"]}},
                actor,
            )
            body["product_id"] = product["id"]
        return str(self.state.create_purchase(body, actor)["id"])

    def _add_job(self, data: dict[str, Any], actor: str) -> str:
        details = {k: data.get(k) for k in ("job_no", "kind", "status", "summary", "description")}
        details["date_entered"] = data.get("date_entered")
        product, _ = self.state.upsert_product(
            f"JOB-{data['job_no']}",
            {
                "product": {
                    "title": f"{data['kind'].capitalize()} {data['job_no']}",
                    "kind": "service_job",
                    "archived": True,
                    "details": details,
                }
            },
            actor,
        )
        body = {
            "client_id": data["customer"],
            "kind": "service_job",
            "product_id": product["id"],
            "description": data.get("summary"),
            "purchased_on": data.get("date_entered"),
            "reference": data["job_no"],
        }
        return str(self.state.create_purchase(body, actor)["id"])

    # -- changing ---------------------------------------------------------------------------

    def edit(self, entity: str, record_id: str, values: dict[str, Any], actor: str) -> None:
        """Change a record as a user."""
        state = self.state
        if entity == "wish":
            body = {v: values[k] for k, v in ITEM.items() if k in values}
            if "description" in values:
                body["title"] = values["description"]
            state.update_item(record_id, body, actor)
        elif entity == "note":
            body = {"text": values["text"]} if "text" in values else {}
            if values.get("date"):
                body["occurred_at"] = values["date"]
            state.update_note(record_id, body, actor)
        elif entity == "product":
            body = {k: values[k] for k in PRODUCT if k in values}
            if "item_key" in values:
                body["sku"] = values["item_key"]
            state.update_product(record_id, body, actor)
        elif entity == "purchase":
            state.update_purchase(
                record_id, {v: values[k] for k, v in SALE.items() if k in values}, actor
            )
        elif entity == "service_job":
            self._edit_job(record_id, values, actor)
        else:
            raise NotImplementedError(f"Clientbook's users do not change {entity} records")

    def _edit_job(self, record_id: str, values: dict[str, Any], actor: str) -> None:
        purchase = self.state.purchases.get(record_id)
        product = self.state.products.records[purchase["product_id"]]
        details = {**(product.get("details") or {}), **values}
        self.state.update_product(product["id"], {"details": details}, actor)
        if "summary" in values:
            self.state.update_purchase(record_id, {"description": values["summary"]}, actor)

    def delete(self, entity: str, record_id: str, actor: str) -> None:
        """Delete a record as a user."""
        stores = {
            "wish": self.state.items,
            "product": self.state.products,
            "purchase": self.state.purchases,
            "service_job": self.state.purchases,
        }
        if entity == "note":
            self.state.delete_note(record_id, actor)
        elif entity == "product":
            self.state.delete_product(record_id, actor)
        elif entity in stores:
            stores[entity].delete(record_id, actor)
        else:
            raise NotImplementedError(f"Clientbook's users do not delete {entity} records")

    def does(self, entity: str, action: str) -> bool:
        """What users do with records of ``entity``."""
        return action in ACTIONS.get(entity, ("add", "edit", "delete"))

    # -- looking ----------------------------------------------------------------------------

    def get(self, entity: str, record_id: str) -> dict[str, Any] | None:
        """A live record in canonical terms; ``None`` when gone (or not of the entity)."""
        if entity == "sms_notification":
            sms = self.state.sms.get(record_id)
            if sms is None:
                return None
            return {"phone": sms["to"], "body": sms["body"], "kind": sms.get("reference")}
        record = _live(self._store(entity), record_id)
        if record is None or not self._is(entity, record):
            return None
        return self._canonical(entity, record)

    def ids(self, entity: str) -> list[str]:
        """Ids of live records of ``entity``."""
        if entity == "sms_notification":
            return list(self.state.sms)
        return [str(r["id"]) for r in self._store(entity).live() if self._is(entity, r)]

    def _store(self, entity: str) -> FeedStore:
        stores = {
            "wish": self.state.items,
            "note": self.state.activity,
            "message": self.state.messages,
            "product": self.state.products,
            "purchase": self.state.purchases,
            "service_job": self.state.purchases,
        }
        return stores[entity]

    @staticmethod
    def _is(entity: str, record: dict[str, Any]) -> bool:
        if entity == "wish":
            return bool(record.get("collection_name") == WISH_LIST)
        if entity == "note":
            return bool(record.get("type") == "note")
        if entity == "product":
            return bool(record.get("kind") == "item")
        if entity in ("purchase", "service_job"):
            return bool(record.get("kind") == ("sale" if entity == "purchase" else "service_job"))
        return True

    def _canonical(self, entity: str, r: dict[str, Any]) -> dict[str, Any]:
        if entity == "wish":
            return {
                "customer": r["client_id"],
                "item_key": r.get("sku"),
                "description": r.get("title"),
                **{k: r.get(v) for k, v in ITEM.items()},
            }
        if entity == "note":
            return {"customer": r["client_id"], "text": r.get("text"), "date": r["occurred_at"]}
        if entity == "message":
            keys = ("channel", "subject", "body", "sent_at")
            return {"customer": r["client_id"], **{k: r.get(k) for k in keys}}
        if entity == "product":
            return {"item_key": r.get("sku"), **{k: r.get(k) for k in PRODUCT}}
        if entity == "purchase":
            return {
                "customer": r["client_id"],
                "item_key": r.get("sku"),
                "sold_at": r.get("purchased_on"),
                **{k: r.get(v) for k, v in SALE.items()},
            }
        product = self.state.products.records.get(r.get("product_id") or "") or {}
        details = product.get("details") or {}
        job = ("job_no", "kind", "status", "summary", "description", "date_entered")
        return {"customer": r["client_id"], **{k: details.get(k) for k in job}}

    # -- faults -----------------------------------------------------------------------------

    def add_unreadable(self, entity: str, client_id: str, actor: str) -> str:
        """A record an old import let in past validation, that no canonical one can carry."""
        if entity == "note":
            fields = {"client_id": client_id, "type": "note", "text": "Broken"}
            entry = {**fields, "occurred_at": "yesterday", "created_by": actor, "message_id": None}
            return str(self.state.activity.create(entry, actor)["id"])
        if entity == "wish":
            made = self.add("wish", {"customer": client_id, "description": "Broken"}, actor)
            self.state.items.update(made, {"occasion_date": "31 Feb"}, actor)
            return made
        raise NotImplementedError(f"no malformed {entity} record is modelled")

    def add_foreign(self, entity: str, client_id: str, actor: str) -> str:
        """What looks like a record of ``entity`` but the rules say is not one (CB-6, CB-7)."""
        state = self.state
        if entity == "wish":
            favourites = state.create_collection({"client_id": client_id, "name": "Favourites"})
            product = state.create_product({"title": "Emerald studs", "kind": "wish"}, actor)
            body = {"collection_id": favourites["id"], "product_id": product["id"]}
            return str(state.create_item(body, actor)["id"])
        if entity == "note":
            sent = state.send_message(client_id, "sms", "Your ring is ready", actor)
            entries = [a for a in state.activity.live() if a.get("message_id") == sent["id"]]
            return str(entries[0]["id"])
        raise NotImplementedError(f"nothing in Clientbook looks like a {entity} but is not one")


def _live(store: FeedStore, record_id: str) -> dict[str, Any] | None:
    try:
        return store.get(record_id)
    except KeyError:
        return None
