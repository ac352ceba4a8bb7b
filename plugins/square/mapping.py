"""Square customers <-> canonical customers (``docs/square-api.md``).

A Square profile holds one e-mail, one phone and one address: the customer's preferred ones
go up; what comes back is a one-element list labelled ``Square``. Where the profile came
from (``creation_source``: point of sale, appointments…) becomes the acquisition, so a
customer created from an appointment is recognised as such on the POS (SQ-1). Group and
segment names fill ``groups`` (SQ-3 scope).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from framework import Address, Change, Customer, Email, Op, Phone
from framework.cursors import parse_utc
from framework.errors import describe
from framework.normalize import phone_e164

LABEL = "Square"
SOURCES = {
    "APPOINTMENTS": "Square Appointments",
    "DIRECTORY": "Square Point of Sale",
    "TERMINAL": "Square Point of Sale",
    "ONLINE_STORE": "Square Online",
    "INVOICES": "Square Invoices",
    "LOYALTY": "Square Loyalty",
}
ADDRESS = {
    "street1": "address_line_1",
    "street2": "address_line_2",
    "city": "locality",
    "state": "administrative_district_level_1",
    "postal_code": "postal_code",
    "country": "country",
}
WRITABLE = {
    "first_name": "given_name",
    "last_name": "family_name",
    "company": "company_name",
    "emails": "email_address",
    "phones": "phone_number",
    "addresses": "address",
    "birth_date": "birthday",
}


def link_key(customer: dict[str, Any]) -> str | None:
    """The code the counterpart knows this profile by.

    ``reference_id`` when set (we set it when a merge must keep a code); else the id —
    except for a profile Square made by merging, whose old ids are what the counterpart
    knows (the merge is reported through ``supersedes``, the link keeps its code).
    """
    if customer.get("reference_id"):
        return str(customer["reference_id"])
    return None if customer.get("creation_source") == "MERGE" else str(customer["id"])


def to_change(
    customer: dict[str, Any], region: str, groups: dict[str, str], supersedes: list[str]
) -> Change:
    """A change from one Square profile."""
    base: dict[str, Any] = {
        "entity": "customer",
        "id": customer["id"],
        "link_key": link_key(customer),
        "updated_at": parse_utc(customer["updated_at"]) if customer.get("updated_at") else None,
        "version": str(customer.get("version", "")),
        "supersedes": supersedes,
    }
    try:
        return Change(**base, record=to_customer(customer, region, groups))
    except ValueError as exc:
        return Change(**base, problem=f"Square customer {customer['id']}: {describe(exc)}")


def deleted(customer_id: str) -> Change:
    """The deletion of a profile."""
    return Change(entity="customer", id=customer_id, op=Op.DELETE)


def to_customer(customer: dict[str, Any], region: str, groups: dict[str, str]) -> Customer:
    """The canonical customer of a Square profile."""
    address = customer.get("address") or {}
    member_of = [*(customer.get("group_ids") or []), *(customer.get("segment_ids") or [])]
    return Customer(
        first_name=customer.get("given_name"),
        last_name=customer.get("family_name"),
        company=customer.get("company_name"),
        birth_date=_birthday(customer.get("birthday")),
        emails=[Email(address=customer["email_address"], label=LABEL, preferred=True)]
        if customer.get("email_address")
        else [],
        phones=[
            Phone(number=phone_e164(customer["phone_number"], region), label=LABEL, preferred=True)
        ]
        if customer.get("phone_number")
        else [],
        addresses=[
            Address(label=LABEL, preferred=True, **{k: address.get(v) for k, v in ADDRESS.items()})
        ]
        if any(address.get(v) for v in ADDRESS.values())
        else [],
        acquisition=SOURCES.get(str(customer.get("creation_source"))),
        groups=sorted(groups.get(g, g) for g in member_of),
    )


def _birthday(text: str | None) -> dt.date | None:
    if not text or text.startswith("0000"):
        return None  # a birthday without a year has no canonical date
    return dt.date.fromisoformat(text)


def to_fields(customer: Customer, fields: list[str] | None) -> dict[str, Any]:
    """SDK keyword arguments for a create (``fields=None``) or a sparse update."""
    wanted = None if fields is None else {f.partition(".")[0] for f in fields}
    out: dict[str, Any] = {}
    for name, square in WRITABLE.items():
        if wanted is not None and name not in wanted:
            continue
        out[square] = _value(customer, name)
    if fields is None:
        out = {k: v for k, v in out.items() if v is not None}
    return out


def _value(customer: Customer, name: str) -> Any:
    if name == "emails":
        email = customer.preferred("emails")
        return email.address if email else None
    if name == "phones":
        phone = customer.preferred("phones")
        return phone.number if phone else None
    if name == "addresses":
        address = customer.preferred("addresses")
        if address is None:
            return None
        out = {v: getattr(address, k) for k, v in ADDRESS.items() if getattr(address, k)}
        if len(out.get("country") or "") != 2:  # Square takes ISO 3166 alpha-2 only
            out.pop("country", None)
        return out
    if name == "birth_date":
        return customer.birth_date.isoformat() if customer.birth_date else None
    return getattr(customer, name)
