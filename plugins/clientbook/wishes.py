"""Wishes = the items of the client's collection named ``Edge`` (CB-6).

An item of any other collection is not a wish (see ``item_change``) and is never written.
Every wish-list item is a Clientbook product, so a wish's product is made sure of before its
item is written (``docs/clientbook-api.md``, "How the Edge integration uses these").
"""

from __future__ import annotations

from typing import Any

from framework import (
    ApplyResult,
    Change,
    ConnectorError,
    Op,
    RecordRejected,
    SystemContext,
    WishItem,
    WriteOp,
    WriteRequest,
)
from framework.errors import describe
from plugins.clientbook.api import call, delete, feed_base, write
from plugins.clientbook.catalog import upsert_products
from plugins.clientbook.collections import index_of

ITEM_FIELDS = {
    "buy_for": "buy_for",
    "event": "occasion",
    "event_date": "occasion_date",
    "date_entered": "added_on",
    "date_bought": "bought_on",
}


def to_wish(item: dict[str, Any]) -> WishItem:
    """The canonical wish of a collection item."""
    return WishItem(
        customer=item["client_id"],
        item_key=item.get("sku"),
        description=item.get("title") or "",
        **{name: item.get(field) for name, field in ITEM_FIELDS.items()},
    )


def item_change(item: dict[str, Any], collection: str) -> Change | None:
    """The change an item of the feed stands for.

    An item outside ``collection`` is not a wish. One never changed since it was added
    (version 1) was never in the wish list (items never move, a rename rewrites them):
    it is skipped. Any other is reported as absent, so a wish whose collection was renamed
    leaves the list.
    """
    base = feed_base("wish", item)
    if item.get("collection_name") != collection:
        never_a_wish = item.get("version") == 1 and not item.get("deleted")
        return None if never_a_wish else Change(**base, op=Op.DELETE)
    if item.get("deleted"):
        return Change(**base, op=Op.DELETE)
    try:
        return Change(**base, record=to_wish(item))
    except ValueError as exc:
        return Change(
            **base, problem=f"collection item {item['id']} cannot be read: {describe(exc)}"
        )


def apply_wishes(
    system: SystemContext, requests: list[WriteRequest], collection: str
) -> list[ApplyResult | ConnectorError]:
    """Several wishes; each client's collection is looked up once per batch.

    The stock items the batch's wishes need are upserted together first, through the
    products' batch endpoint (one call instead of one per wish). The collection lookup is
    never kept longer than the batch: a collection renamed in the app stops being the wish
    list at once, and the next wish goes to (a new) collection named ``collection``. Only
    that a client has *none* is known longer (``collections.py``, from the feed).
    """
    known: dict[str, str] = {}
    try:
        stock = _stock_products(system, requests)
    except ConnectorError:  # each wish then makes sure of its own product, and says so
        stock = {}
    results: list[ApplyResult | ConnectorError] = []
    for request in requests:
        try:
            results.append(apply_wish(system, request, collection, known, stock))
        except ConnectorError as exc:
            results.append(exc)
    return results


def _stock_products(system: SystemContext, requests: list[WriteRequest]) -> dict[str, str]:
    """Upsert the stock items of the wishes that need their product: SKU -> product id.

    A SKU the platform refuses is left out; its wish's own upsert then reports why.
    """
    ops: dict[str, dict[str, Any]] = {}
    for request in requests:
        wish = request.record
        needs = request.op is WriteOp.CREATE or "item_key" in request.fields
        if needs and isinstance(wish, WishItem) and wish.item_key and wish.item_key not in ops:
            ops[wish.item_key] = _stock_op(wish)
    if len(ops) < 2:  # one product: the wish's own call is as cheap
        return {}
    found = upsert_products(system, list(ops.values()))
    return {
        sku: str(product["id"])
        for sku, product in zip(ops, found, strict=True)
        if not isinstance(product, RecordRejected)
    }


def apply_wish(
    system: SystemContext,
    request: WriteRequest,
    collection: str,
    known: dict[str, str],
    stock: dict[str, str] | None = None,
) -> ApplyResult:
    """Create, update or delete one item of the client's wish-list collection.

    ``stock`` holds the product ids of stock items already upserted (SKU -> id).
    """
    if request.op is WriteOp.DELETE:
        delete(system, f"/v1/collection-items/{request.target_id}")
        return ApplyResult(id=request.target_id)
    wish = request.record
    assert isinstance(wish, WishItem)
    stock = stock or {}
    if request.op is WriteOp.CREATE:
        item = _create(system, wish, collection, request, known, stock)
    else:
        body = _item_fields(wish, request.fields)
        if "item_key" in request.fields:
            body["product_id"] = _product_for(system, wish, request.idempotency_key, stock)
        if "description" in request.fields:
            body["title"] = _title(wish)
        item = write(system, "PATCH", f"/v1/collection-items/{request.target_id}", json=body)
    return ApplyResult(id=item["id"], version=str(item["version"]), record=to_wish(item))


def _create(
    system: SystemContext,
    wish: WishItem,
    collection: str,
    request: WriteRequest,
    known: dict[str, str],
    stock: dict[str, str],
) -> dict[str, Any]:
    body = {
        "product_id": _product_for(system, wish, request.idempotency_key, stock),
        "title": _title(wish),
        **_item_fields(wish, None),
    }
    for attempt in (1, 2):
        body["collection_id"] = _collection_of(system, wish.customer, collection, request, known)
        try:
            item: dict[str, Any] = call(
                system,
                "POST",
                "/v1/collection-items",
                json=body,
                headers={"idempotency-key": request.idempotency_key},
            )
            return item
        except RecordRejected as exc:
            if attempt == 2 or "collection_id" not in str(exc):
                raise
            # The collection looked up was deleted meanwhile: find (or make) the current one.
            known.pop(wish.customer, None)
    raise AssertionError("unreachable")


def _title(wish: WishItem) -> str:
    return wish.description or wish.item_key or "Wish"


def _item_fields(wish: WishItem, fields: list[str] | None) -> dict[str, Any]:
    values = wish.model_dump(mode="json")
    return {
        field: values[name]
        for name, field in ITEM_FIELDS.items()
        if fields is None or name in fields
    }


def _stock_op(wish: WishItem) -> dict[str, Any]:
    """The upsert of a stock wish's item: an uploaded item keeps its own title and kind."""
    return {
        "sku": wish.item_key,
        "product": {},
        "defaults": {"title": _title(wish), "kind": "item"},
    }


def _product_for(
    system: SystemContext, wish: WishItem, key: str, stock: dict[str, str] | None = None
) -> str:
    """The product a wish-list item references: the stock item's, or a wish product of its own."""
    if wish.item_key and stock and wish.item_key in stock:
        return stock[wish.item_key]
    if wish.item_key:
        op = _stock_op(wish)
        product = call(
            system,
            "PUT",
            f"/v1/products/by-sku/{wish.item_key}",
            json={"product": op["product"], "defaults": op["defaults"]},
        )
    else:
        product = call(
            system,
            "POST",
            "/v1/products",
            json={"title": _title(wish), "kind": "wish"},
            headers={"idempotency-key": f"{key}-product"},
        )
    return str(product["id"])


def _collection_of(
    system: SystemContext, client_id: str, name: str, request: WriteRequest, known: dict[str, str]
) -> str:
    """The client's collection called ``name`` (the oldest one), made when it has none.

    Asked for, unless the collections feed just said the client has none
    (``collections.py``: an upload's clients, made minutes ago).
    """
    if client_id not in known:
        index = index_of(system, name)
        found: list[dict[str, Any]] = []
        if not index.absent(system, client_id):
            params = {"client_id": client_id, "name": name}
            found = call(system, "GET", "/v1/collections", params=params)["data"]
        if found:
            known[client_id] = found[0]["id"]
        else:
            made = call(
                system,
                "POST",
                "/v1/collections",
                json={"client_id": client_id, "name": name},
                headers={"idempotency-key": f"{request.idempotency_key}-collection"},
            )
            index.made_for(client_id)
            known[client_id] = made["id"]
    return known[client_id]
