"""Clientbook clients <-> canonical customers (``docs/clientbook-api.md``).

A client holds one e-mail, one mobile number and one address: the customer's preferred
ones go up, and what comes back is a one-element list labelled ``Clientbook`` (which is
the type label such a method gets when CB-3 adds it on the POS side).
"""

from __future__ import annotations

from typing import Any

from framework.cursors import parse_utc
from framework.errors import describe
from framework.models import Address, Change, Customer, Email, Op, Phone

LABEL = "Clientbook"
ADDRESS_KEYS = ("street1", "street2", "city", "state", "postal_code", "country")


def to_change(client: dict[str, Any]) -> Change:
    """A change from one client of the feed (a tombstone becomes a delete)."""
    actor = client.get("updated_by")
    base = {
        "entity": "customer",
        "id": client["id"],
        "link_key": client["id"],
        "actor": None if actor in (None, "api") else actor,
        "updated_at": parse_utc(client["updated_at"]),
        "version": str(client.get("version", "")),
    }
    if client.get("deleted"):
        return Change(**base, op=Op.DELETE)
    try:
        return Change(**base, record=to_customer(client))
    except ValueError as exc:
        return Change(**base, problem=f"client {client['id']} cannot be read: {describe(exc)}")


def to_customer(client: dict[str, Any]) -> Customer:
    """The canonical customer of a client."""
    address = client.get("address")
    return Customer(
        first_name=client.get("first_name"),
        last_name=client.get("last_name"),
        emails=[Email(address=client["email"], label=LABEL, preferred=True)]
        if client.get("email")
        else [],
        phones=[Phone(number=client["mobile"], label=LABEL, preferred=True)]
        if client.get("mobile")
        else [],
        addresses=[
            Address(label=LABEL, preferred=True, **{k: address.get(k) for k in ADDRESS_KEYS})
        ]
        if address and any(address.get(k) for k in ADDRESS_KEYS)
        else [],
        custom={
            p["name"]: p["value"]
            for p in client.get("preferences") or []
            if p.get("value") is not None
        },
        acquisition=client.get("acquisition"),
    )


def to_body(customer: Customer, fields: list[str] | None) -> dict[str, Any]:
    """A client body for a create (``fields=None``: everything) or a partial update."""
    wanted = None if fields is None else {f.partition(".")[0] for f in fields}
    body: dict[str, Any] = {}

    def want(name: str) -> bool:
        return wanted is None or name in wanted

    if want("first_name"):
        body["first_name"] = customer.first_name
    if want("last_name"):
        body["last_name"] = customer.last_name
    if want("emails"):
        email = customer.preferred("emails")
        body["email"] = email.address if email else None
    if want("phones"):
        phone = customer.preferred("phones")
        body["mobile"] = phone.number if phone else None
    if want("addresses"):
        address = customer.preferred("addresses")
        body["address"] = {k: getattr(address, k) for k in ADDRESS_KEYS} if address else None
    if want("custom"):
        body["preferences"] = _preferences(customer, fields)
    if want("acquisition"):
        body["acquisition"] = customer.acquisition
    return body


def _preferences(customer: Customer, fields: list[str] | None) -> list[dict[str, Any]]:
    if fields is None:
        return [{"name": k, "value": v} for k, v in customer.custom.items()]
    keys = [f.partition(".")[2] for f in fields if f.startswith("custom.")]
    if "custom" in fields:
        keys = list(customer.custom)
    return [{"name": k, "value": customer.custom.get(k)} for k in keys]
