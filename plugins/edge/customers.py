"""EDT CustomerList as a file kind (the mapping itself is ``mapping.py``)."""

from __future__ import annotations

from typing import Any

from framework import CanonicalRecord, Customer
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
    extra={"MaxAddresses": 9, "MaxEmails": 9, "MaxPhones": 9},
)
