"""Square customer custom attributes through the SDK: a profile's values, our definitions.

Square's Customer Custom Attributes API (``docs/square-api.md``): a value belongs to a
definition (a key, a Square type, a name the seller sees). The connector uses them to keep
what a merged profile cannot hold in its own fields (SQ-2, ``merge_plan.py``); its
definitions are visible to the seller, who can read and edit the values in the dashboard.
"""

from __future__ import annotations

from typing import Any

from framework import RecordRejected, SystemContext
from plugins.square.merge_plan import Kind
from plugins.square.sdk import call, client

SCHEMA_BASE = "https://developer-production-s.squarecdn.com/schemas/v1/common.json#squareup.common."
BULK_MOST = 25  # BulkUpsertCustomerCustomAttributes takes 1 to 25 values


def values_of(system: SystemContext, customer_id: str) -> dict[str, Any]:
    """A profile's custom attribute values by key."""
    found: dict[str, Any] = {}
    cursor = None
    while True:
        page = call(
            system,
            f"listing the custom attributes of customer {customer_id}",
            client(system).customers.custom_attributes.list,
            customer_id=customer_id,
            cursor=cursor,
        )
        for item in page.items or []:
            found[str(item.key)] = item.value
        cursor = page.response.cursor
        if not cursor:
            return found


def ensure_definitions(system: SystemContext, wanted: dict[str, Kind]) -> list[str]:
    """Create the definitions of our slots the seller's account lacks; returns their keys."""
    if not wanted:
        return []
    definitions = client(system).customers.custom_attribute_definitions
    held: set[str] = set()
    cursor = None
    while True:
        page = call(system, "listing custom attribute definitions", definitions.list, cursor=cursor)
        held |= {str(d.key) for d in page.items or []}
        cursor = page.response.cursor
        if not cursor:
            break
    made = []
    for key, kind in sorted(wanted.items()):
        if key in held:
            continue
        number = key.rsplit("-", 1)[-1]
        call(
            system,
            f"creating the custom attribute definition {key}",
            definitions.create,
            custom_attribute_definition={
                "key": key,
                "schema": {"$ref": f"{SCHEMA_BASE}{kind.type}"},
                "name": f"Merged {kind.label} {number}",
                "description": f"A {kind.label} of a duplicate profile merged into this one "
                "by syncwright (SQ-2)",
                "visibility": "VISIBILITY_READ_WRITE_VALUES",
            },
            idempotency_key=f"syncwright-definition-{key}",
        )
        made.append(key)
    return made


def write(system: SystemContext, customer_id: str, values: dict[str, Any]) -> None:
    """Set custom attribute values of one profile (bulk, 25 at a time).

    Raises:
        RecordRejected: Square refused a value (the merge stops before deleting anything).
    """
    items = list(values.items())
    definitions = client(system).customers.custom_attribute_definitions
    for start in range(0, len(items), BULK_MOST):
        chunk = dict(items[start : start + BULK_MOST])
        body = call(
            system,
            f"setting custom attributes of customer {customer_id}",
            definitions.batch_upsert,
            values={
                key: {"customer_id": customer_id, "custom_attribute": {"key": key, "value": value}}
                for key, value in chunk.items()
            },
        )
        for key, answer in (body.values or {}).items():
            errors = answer.errors or []
            if errors:
                first = errors[0]
                raise RecordRejected(
                    f"{system.name}: Square refused custom attribute {key} of customer "
                    f"{customer_id}: {first.code}: {first.detail}",
                    system=system.name,
                    rule="SQ-2",
                    field=key,
                )
