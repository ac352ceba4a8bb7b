"""EDT CustomerList as a file kind (the mapping itself is ``mapping.py``)."""

from __future__ import annotations

from typing import Any

from framework import CanonicalRecord, Customer, WriteRequest
from plugins.edge.kinds import FileKind
from plugins.edge.mapping import to_customer, to_pair_value
from plugins.edge.settings import EdgeSettings


def _read(value: dict[str, Any], settings: EdgeSettings) -> Customer:
    return to_customer(value, settings.region)


def _write(
    record: CanonicalRecord, fields: list[str] | None, key: str, settings: EdgeSettings
) -> dict[str, Any]:
    assert isinstance(record, Customer)
    return to_pair_value(record, fields, key, settings.region)


def _only_new_methods(value: dict[str, Any], request: WriteRequest) -> None:
    """Keep in an update import only the contact methods Edge does not hold yet.

    Edge merges contact objects by Key and never deletes one (docs/edge-exchange.md, 5);
    the platform side only ever adds methods (CB-3). Sending the ones Edge holds would
    write back, over an associate's edit made meanwhile, what the engine last saw; the
    preferred pointers are Edge's own and are not sent either.
    """
    record, base = request.record, request.base
    assert isinstance(record, Customer)
    for array, field, pointer in (
        ("Emails", "emails", "CustomerPrefEMail"),
        ("Phones", "phones", "CustomerPrefPhone"),
        ("Addresses", "addresses", "CustomerPrefMail"),
    ):
        if array not in value:
            continue
        value.pop(pointer, None)
        held = {
            Customer.item_identity(field, m.model_dump())
            for m in (getattr(base, field) if isinstance(base, Customer) else [])
        }
        items = getattr(record, field)  # value[array] holds them in the same order
        value[array] = [
            method
            for method, item in zip(value[array], items, strict=True)
            if Customer.item_identity(field, item.model_dump()) not in held
        ]
        if not value[array]:
            del value[array]


CUSTOMERS = FileKind(
    entity="customer",
    kind="CustomerList",
    wrapper="Customers",
    key_field="CustomerKey",
    read=_read,
    fields=(
        "first_name",
        "middle_name",
        "last_name",
        "company",
        "gender",
        "birth_date",
        "emails",
        "phones",
        "addresses",
        "custom",
        "acquisition",
        "sync_flag",
    ),
    write=_write,
    transfer="CustomerTransfer",
    user_field="CustomerUpdateUser",
    deleted=lambda value: bool(value.get("CustomerInactive")),
    delete_value=lambda settings: {"CustomerInactive": True},
    on_update=_only_new_methods,
    extra={"MaxAddresses": 9, "MaxEmails": 9, "MaxPhones": 9},
)
