"""The fake Clientbook's collections (a client's named wish lists) and their items."""

from __future__ import annotations

from typing import Any

from fakes.clientbook.validate import Checker, Invalid, day, identifier, text, validate
from fakes.toolkit import Clock, FeedStore

COLLECTION: dict[str, Checker] = {"client_id": identifier, "name": text(255)}
ITEM: dict[str, Checker] = {
    "collection_id": identifier,
    "product_id": identifier,
    "title": text(255),
    "buy_for": text(255),
    "occasion": text(255),
    "occasion_date": day,
    "added_on": day,
    "bought_on": day,
}
ITEM_DEFAULTS: dict[str, Any] = {
    "buy_for": None,
    "occasion": None,
    "occasion_date": None,
    "added_on": None,
    "bought_on": None,
}


class Wishlists:
    """Collections and collection items; every item references a live product."""

    clock: Clock
    clients: FeedStore
    products: FeedStore
    collections: FeedStore
    items: FeedStore
    collections_by_client: dict[str, list[str]]  # client id -> collection ids, oldest first

    def collections_of(self, client_id: str, name: str | None = None) -> list[dict[str, Any]]:
        """A client's live collections, oldest first (``name``: exactly that name).

        Looked up through an index by client, as a real platform would: a scan of every
        collection per lookup made the fake, not the client, the bottleneck of big uploads.
        """
        found = (self.collections.records[i] for i in self.collections_by_client.get(client_id, []))
        return [c for c in found if not c.get("deleted") and (name is None or c["name"] == name)]

    def items_of(self, collection_id: str) -> list[dict[str, Any]]:
        """The live items of a collection."""
        return [i for i in self.items.live() if i["collection_id"] == collection_id]

    def create_collection(self, body: Any, actor: str = "api") -> dict[str, Any]:
        """A new, empty collection of a live client."""
        fields = validate(body, COLLECTION, required=("client_id", "name"))
        try:
            self.clients.get(fields["client_id"])
        except KeyError:
            raise Invalid(f"no live client {fields['client_id']}", "client_id") from None
        collection = self.collections.create(fields, actor)
        self.collections_by_client.setdefault(collection["client_id"], []).append(collection["id"])
        return collection

    def rename_collection(
        self, collection_id: str, body: Any, actor: str = "api"
    ) -> dict[str, Any]:
        """Rename a collection; its items are rewritten under the new name."""
        self.collections.get(collection_id)
        fields = validate(body, {"name": COLLECTION["name"]}, required=("name",))
        record = self.collections.update(collection_id, fields, actor)
        for item in self.items_of(collection_id):
            self.items.update(item["id"], {"collection_name": fields["name"]}, actor)
        return record

    def delete_collection(self, collection_id: str, actor: str = "api") -> None:
        """Delete a collection and its items."""
        self.collections.get(collection_id)
        for item in self.items_of(collection_id):
            self.items.delete(item["id"], actor)
        self.collections.delete(collection_id, actor)

    def create_item(self, body: Any, actor: str = "api") -> dict[str, Any]:
        """Add a product to a collection."""
        fields = validate(body, ITEM, required=("collection_id", "product_id"))
        try:
            collection = self.collections.get(fields["collection_id"])
        except KeyError:
            raise Invalid(f"no collection {fields['collection_id']}", "collection_id") from None
        product = self._product(fields["product_id"])
        fields.setdefault("title", None)
        fields["added_on"] = fields.get("added_on") or self.clock.now().date().isoformat()
        record = {
            **ITEM_DEFAULTS,
            **fields,
            "client_id": collection["client_id"],
            "collection_name": collection["name"],
            "sku": product["sku"],
            "title": fields["title"] or product["title"],
        }
        return self.items.create(record, actor)

    def update_item(self, item_id: str, body: Any, actor: str = "api") -> dict[str, Any]:
        """Partial update of an item (never of its collection)."""
        current = self.items.get(item_id)
        fields = validate(body, ITEM)
        if fields.get("collection_id", current["collection_id"]) != current["collection_id"]:
            raise Invalid("an item cannot move to another collection", "collection_id")
        if "product_id" in fields:
            fields["sku"] = self._product(fields["product_id"])["sku"]
        if "title" in fields and not fields["title"]:
            raise Invalid("title cannot be empty", "title")
        return self.items.update(item_id, fields, actor)

    def _product(self, product_id: Any) -> dict[str, Any]:
        try:
            return self.products.get(str(product_id))
        except KeyError:
            raise Invalid(f"no live product {product_id}", "product_id") from None
