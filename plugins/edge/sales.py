"""EDT Transaction sale lines -> canonical purchases (CB-8; ``docs/edge-exchange.md`` item 25)."""

from __future__ import annotations

from typing import Any

from framework import Purchase
from plugins.edge.edt import money, parse_day, text
from plugins.edge.kinds import FileKind
from plugins.edge.settings import EdgeSettings


def to_purchase(value: dict[str, Any], settings: EdgeSettings) -> Purchase:
    """The canonical purchase of a SaleLines PairValue.

    Raises:
        ValueError: the amount is missing or malformed, or a date is.
    """
    amount = money(value.get("SalelineAmount"))
    if amount is None:
        raise ValueError("a sale line without SalelineAmount")
    return Purchase(
        customer=str(value.get("SalelineCustKey") or ""),
        sale_key=str(value.get("SalelineSaleKey") or ""),
        line_no=int(value.get("SalelineLineNo") or 0),
        item_key=text(value.get("SalelineItemKey")),
        description=text(value.get("SalelineDesc")),
        amount=amount,
        quantity=int(value.get("SalelineQty") or 1),
        sold_at=parse_day(value.get("SalelineDate")),
        special_order=bool(value.get("SalelineSpecialOrder")),
    )


SALES = FileKind(
    fields=(
        "customer",
        "sale_key",
        "line_no",
        "item_key",
        "description",
        "amount",
        "quantity",
        "sold_at",
        "special_order",
    ),
    entity="purchase",
    kind="Transaction",
    wrapper="SaleLines",
    key_field="SalelineKey",
    read=to_purchase,
    deleted=lambda value: bool(value.get("SalelineVoid")),
)
