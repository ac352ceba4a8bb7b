"""The fake Clientbook's products and client purchases (``docs/clientbook-api.md``)."""

from __future__ import annotations

from typing import Any

from fakes.clientbook.validate import (
    Checker,
    Conflict,
    Invalid,
    count,
    day,
    details,
    flag,
    identifier,
    money,
    one_of,
    strings,
    text,
    validate,
)
from fakes.toolkit import FeedStore

PRODUCT: dict[str, Checker] = {
    "sku": text(64),
    "title": text(255),
    "description": text(5000),
    "category": text(255),
    "vendor": text(255),
    "inventory_type": text(64),
    "price": money,
    "images": strings,
    "special_order": flag,
    "archived": flag,
    "kind": one_of("item", "wish", "service_job"),
    "details": details,
}
PRODUCT_DEFAULTS: dict[str, Any] = {
    "sku": None,
    "title": None,
    "description": None,
    "category": None,
    "vendor": None,
    "inventory_type": None,
    "price": None,
    "images": [],
    "special_order": False,
    "archived": False,
    "kind": "item",
    "details": None,
}
PURCHASE: dict[str, Checker] = {
    "client_id": identifier,
    "kind": one_of("sale", "service_job"),
    "product_id": identifier,
    "description": text(1000),
    "amount": money,
    "quantity": count,
    "purchased_on": day,
    "reference": text(64),
}
PURCHASE_DEFAULTS: dict[str, Any] = {
    "kind": "sale",
    "product_id": None,
    "sku": None,
    "description": None,
    "amount": None,
    "quantity": 1,
    "purchased_on": None,
    "reference": None,
}


class Catalog:
    """Products (unique live SKUs, upsert by SKU) and client purchases referencing them."""

    clients: FeedStore
    products: FeedStore
    purchases: FeedStore
    sku_index: dict[str, str]

    # -- products ---------------------------------------------------------------------------

    def product_by_sku(self, sku: str) -> dict[str, Any] | None:
        """The live product with this SKU, if any."""
        product_id = self.sku_index.get(sku)
        if product_id is None:
            return None
        record = self.products.records[product_id]
        return None if record["deleted"] else record

    def create_product(self, body: Any, actor: str = "api") -> dict[str, Any]:
        """Create a product (``409`` when a live product has its SKU)."""
        fields = validate(body, PRODUCT, required=("title",))
        sku = fields.get("sku")
        if sku and self.product_by_sku(sku):
            raise Conflict(f"a live product already has SKU {sku}")
        record = self.products.create({**PRODUCT_DEFAULTS, **fields}, actor)
        if sku:
            self.sku_index[sku] = record["id"]
        return record

    def upsert_product(
        self, sku: str, body: Any, actor: str = "api"
    ) -> tuple[dict[str, Any], bool]:
        """Create or update the product with ``sku``; returns it and whether it was created."""
        if not isinstance(body, dict) or set(body) - {"product", "defaults"}:
            raise Invalid("body must be {product, defaults}")
        product = validate(body.get("product") or {}, PRODUCT)
        defaults = validate(body.get("defaults") or {}, PRODUCT)
        if product.get("sku", sku) != sku:
            raise Invalid("product.sku differs from the SKU in the path", "sku")
        current = self.product_by_sku(sku)
        if current is not None:
            changed = {k: v for k, v in product.items() if current.get(k) != v}
            return (
                self.products.update(current["id"], changed, actor) if changed else current
            ), False
        fields = {**PRODUCT_DEFAULTS, **defaults, **product, "sku": sku}
        if not fields.get("title"):
            raise Invalid("title is required to create a product", "title")
        record = self.products.create(fields, actor)
        self.sku_index[sku] = record["id"]
        return record, True

    def update_product(self, product_id: str, body: Any, actor: str = "api") -> dict[str, Any]:
        """Partial update of a live product (its SKU stays unique)."""
        current = self.products.get(product_id)
        fields = validate(body, PRODUCT)
        sku = fields.get("sku", current["sku"])
        if sku != current["sku"]:
            if sku and self.product_by_sku(sku):
                raise Conflict(f"a live product already has SKU {sku}")
            self.sku_index.pop(current["sku"] or "", None)
            if sku:
                self.sku_index[sku] = product_id
        return self.products.update(product_id, fields, actor)

    def delete_product(self, product_id: str, actor: str = "api") -> None:
        """Delete a product (a tombstone); its SKU is free again."""
        current = self.products.get(product_id)
        self.sku_index.pop(current["sku"] or "", None)
        self.products.delete(product_id, actor)

    # -- purchases --------------------------------------------------------------------------

    def create_purchase(self, body: Any, actor: str = "api") -> dict[str, Any]:
        """Record a purchase of a live client."""
        fields = validate(body, PURCHASE, required=("client_id",))
        self._live_client(fields["client_id"])
        fields.update(self._product_ref(fields))
        return self.purchases.create({**PURCHASE_DEFAULTS, **fields}, actor)

    def update_purchase(self, purchase_id: str, body: Any, actor: str = "api") -> dict[str, Any]:
        """Partial update of a purchase."""
        self.purchases.get(purchase_id)
        fields = validate(body, PURCHASE)
        if "client_id" in fields:
            self._live_client(fields["client_id"])
        if "product_id" in fields:
            fields.update(self._product_ref(fields))
        return self.purchases.update(purchase_id, fields, actor)

    def _live_client(self, client_id: Any) -> None:
        try:
            self.clients.get(str(client_id))
        except KeyError:
            raise Invalid(f"no live client {client_id}", "client_id") from None

    def _product_ref(self, fields: dict[str, Any]) -> dict[str, Any]:
        """The product a purchase references (live or archived, never deleted), and its SKU."""
        product_id = fields.get("product_id")
        if product_id is None:
            return {"product_id": None, "sku": None}
        record = self.products.records.get(product_id)
        if record is None or record["deleted"]:
            raise Invalid(f"no product {product_id}", "product_id")
        return {"product_id": product_id, "sku": record["sku"]}
