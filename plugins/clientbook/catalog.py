"""Products (CB-10), client purchases and service-job placeholders (CB-8), written in batches.

"Sold items as archived products" and "a placeholder archived product for each service job"
are facts of Clientbook's data model: every purchase written here first upserts its
product by SKU (``docs/clientbook-api.md``, "How the Edge integration uses these").
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from framework import (
    ApplyResult,
    ConnectorError,
    Product,
    Purchase,
    RecordRejected,
    ServiceJob,
    SystemContext,
    WriteOp,
    WriteRequest,
)
from plugins.clientbook.api import call, delete

Results = list[ApplyResult | ConnectorError]
PRODUCT_FIELDS = (
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


def _rejected(system: SystemContext, item: dict[str, Any]) -> RecordRejected:
    err = item.get("error") or {}
    return RecordRejected(
        f"{system.name}: {err.get('type')}: {err.get('message')}",
        system=system.name,
        status=item.get("status"),
        field=err.get("field"),
    )


def upsert_products(
    system: SystemContext, ops: list[dict[str, Any]]
) -> list[dict[str, Any] | RecordRejected]:
    """Upsert products by SKU, 100 per call; one result (product or refusal) per operation."""
    out: list[dict[str, Any] | RecordRejected] = []
    for start in range(0, len(ops), 100):
        chunk = [{"op": "upsert", **op} for op in ops[start : start + 100]]
        body = call(system, "POST", "/v1/products/batch", json={"operations": chunk})
        for item in body["results"]:
            ok = item["status"] in (200, 201)
            out.append(item["product"] if ok else _rejected(system, item))
    return out


# -- products (CB-10) ---------------------------------------------------------------------


def product_op(product: Product, fields: list[str] | None) -> dict[str, Any]:
    """The upsert of an inventory item (``fields``: only those changed)."""
    values = product.model_dump(mode="json")
    body = {k: values[k] for k in PRODUCT_FIELDS if fields is None or k in fields}
    body["kind"] = "item"
    return {"sku": product.item_key, "product": body}


def apply_products(system: SystemContext, requests: list[WriteRequest]) -> Results:
    """Upsert inventory items by SKU; delete those asked."""
    results: dict[int, ApplyResult | ConnectorError] = {}
    ops, where = [], []
    for index, request in enumerate(requests):
        if request.op is WriteOp.DELETE:
            delete(system, f"/v1/products/{request.target_id}")
            results[index] = ApplyResult(id=request.target_id)
            continue
        assert isinstance(request.record, Product)
        fields = None if request.op is WriteOp.CREATE else request.fields
        ops.append(product_op(request.record, fields))
        where.append(index)
    for index, outcome in zip(where, upsert_products(system, ops), strict=True):
        results[index] = (
            outcome
            if isinstance(outcome, RecordRejected)
            else ApplyResult(id=outcome["id"], version=str(outcome["version"]))
        )
    return [results[i] for i in range(len(requests))]


# -- purchases and service jobs (CB-8) ------------------------------------------------------

PurchaseOf = Callable[[WriteRequest, str | None], dict[str, Any]]
# canonical field -> the client-purchase field it changes
SALE_FIELDS = {
    "customer": "client_id",
    "item_key": "product_id",
    "description": "description",
    "amount": "amount",
    "quantity": "quantity",
    "sold_at": "purchased_on",
    "sale_key": "reference",
    "line_no": "reference",
}
JOB_FIELDS = {
    "customer": "client_id",
    "summary": "description",
    "date_entered": "purchased_on",
    "job_no": "reference",
}


def sold_item_op(purchase: Purchase) -> dict[str, Any] | None:
    """A sold line's item as an archived product (``None`` for a line without an item)."""
    if not purchase.item_key:
        return None
    defaults: dict[str, Any] = {
        "title": purchase.description or purchase.item_key,
        "kind": "item",
        "special_order": purchase.special_order,
    }
    return {"sku": purchase.item_key, "product": {"archived": True}, "defaults": defaults}


def sale_body(request: WriteRequest, product_id: str | None) -> dict[str, Any]:
    """The client purchase of a sold line (``request.fields``: only those changed)."""
    p = request.record
    assert isinstance(p, Purchase)
    every = {
        "client_id": p.customer,
        "kind": "sale",
        "product_id": product_id,
        "description": p.description,
        "amount": str(p.amount),
        "quantity": p.quantity,
        "purchased_on": p.sold_at.isoformat() if p.sold_at else None,
        "reference": f"{p.sale_key}{p.line_no}",
    }
    return _only_changed(request, every, SALE_FIELDS)


def job_op(job: ServiceJob) -> dict[str, Any]:
    """A service job's placeholder: an archived product carrying the job's details."""
    summary = f": {job.summary}" if job.summary else ""
    details = job.model_dump(mode="json", exclude={"customer"})
    return {
        "sku": f"JOB-{job.job_no}",
        "product": {
            "title": f"{job.kind.capitalize()} {job.job_no}{summary}"[:255],
            "description": job.description,
            "kind": "service_job",
            "archived": True,
            "details": details,
        },
    }


def job_body(request: WriteRequest, product_id: str | None) -> dict[str, Any]:
    """The client purchase that puts a service job in the client's history."""
    job = request.record
    assert isinstance(job, ServiceJob)
    every = {
        "client_id": job.customer,
        "kind": "service_job",
        "product_id": product_id,
        "description": job.summary,
        "purchased_on": job.date_entered.isoformat() if job.date_entered else None,
        "reference": job.job_no,
    }
    return _only_changed(request, every, JOB_FIELDS)


def _only_changed(
    request: WriteRequest, every: dict[str, Any], moved_by: dict[str, str]
) -> dict[str, Any]:
    """All of a purchase for a create; for an update, the purchase fields that changed."""
    if request.op is WriteOp.CREATE:
        return every
    changed = {moved_by[f] for f in request.fields if f in moved_by}
    return {k: v for k, v in every.items() if k in changed}


def apply_purchases(
    system: SystemContext,
    requests: list[WriteRequest],
    product_of: Callable[[WriteRequest], dict[str, Any] | None],
    body_of: PurchaseOf,
) -> Results:
    """Upsert each purchase's product, then create or update the purchases in one batch."""
    results: dict[int, ApplyResult | ConnectorError] = {}
    ops, op_index = [], []
    for index, request in enumerate(requests):
        if request.op is WriteOp.DELETE:
            delete(system, f"/v1/purchases/{request.target_id}")
            results[index] = ApplyResult(id=request.target_id)
        elif (op := product_of(request)) is not None:
            ops.append(op)
            op_index.append(index)
    products: dict[int, str | None] = {}
    for index, outcome in zip(op_index, upsert_products(system, ops), strict=True):
        if isinstance(outcome, RecordRejected):
            results[index] = outcome
        else:
            products[index] = str(outcome["id"])
    batch: list[dict[str, Any]] = []
    batch_index: list[int] = []
    for index, request in enumerate(requests):
        if index in results:
            continue
        body = body_of(request, products.get(index))
        if request.op is WriteOp.CREATE:
            batch.append(
                {"op": "create", "idempotency_key": request.idempotency_key, "purchase": body}
            )
        else:
            batch.append({"op": "update", "id": request.target_id, "purchase": body})
        batch_index.append(index)
    for start in range(0, len(batch), 100):
        reply = call(
            system, "POST", "/v1/purchases/batch", json={"operations": batch[start : start + 100]}
        )
        for index, item in zip(batch_index[start : start + 100], reply["results"], strict=True):
            results[index] = (
                ApplyResult(id=item["purchase"]["id"], version=str(item["purchase"]["version"]))
                if item["status"] in (200, 201)
                else _rejected(system, item)
            )
    return [results[i] for i in range(len(requests))]


def sale_product(request: WriteRequest) -> dict[str, Any] | None:
    """The product upsert a sold line needs (none for an update that keeps its item)."""
    if request.op is not WriteOp.CREATE and "item_key" not in request.fields:
        return None
    assert isinstance(request.record, Purchase)
    return sold_item_op(request.record)


def job_product(request: WriteRequest) -> dict[str, Any] | None:
    """A service job's placeholder upsert: on every write (its details are the job's)."""
    assert isinstance(request.record, ServiceJob)
    return job_op(request.record)
