"""EDT ItemList records -> canonical products (CB-10; ``docs/edge-exchange.md`` items 21-24)."""

from __future__ import annotations

from typing import Any

from framework import Product
from plugins.edge.edt import money, text
from plugins.edge.kinds import FileKind
from plugins.edge.settings import EdgeSettings

STATUS = {"I": "on_hand", "S": "sold"}


def to_product(value: dict[str, Any], settings: EdgeSettings) -> Product:
    """The canonical product of an ItemList PairValue.

    An item that is neither on hand nor sold has status ``other``; the pair's filters
    decide what uploads. A sold item is archived.

    Raises:
        ValueError: the price is malformed or the title too long.
    """
    status = STATUS.get(str(value.get("ItemStatus") or "").upper(), "other")
    desc, memo = text(value.get("ItemDesc")), text(value.get("ItemDescMemo"))
    vendors = value.get("Vendors") or []
    vendor = (vendors[0].get("PairValue") or {}).get("VendorName") if vendors else None
    return Product(
        item_key=str(value.get("ItemKey") or ""),
        title=desc,
        description=f"{desc or ''}{memo}" if memo else None,
        category=text(value.get("CategoryName")),
        vendor=text(vendor),
        inventory_type=(text(value.get("ItemInvType")) or "").lower() or None,
        price=money(value.get("ItemCurrentPrice")),
        status=status,
        archived=status == "sold",
        special_order=bool(value.get("ItemSpecialOrder")),
        images=[i for i in str(value.get("ItemImage") or "").split("|") if i],
    )


ITEMS = FileKind(
    fields=(
        "item_key",
        "title",
        "description",
        "category",
        "vendor",
        "inventory_type",
        "price",
        "status",
        "archived",
        "special_order",
        "images",
    ),
    entity="product",
    kind="ItemList",
    wrapper="Items",
    key_field="ItemKey",
    read=to_product,
)
