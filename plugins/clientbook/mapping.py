"""Clientbook clients <-> canonical customers (``docs/clientbook-api.md``).

A client holds one e-mail, one mobile number and one address: the customer's preferred
ones go up, and what comes back is a one-element list labelled ``Clientbook`` (which is
the type label such a method gets when CB-3 adds it on the POS side).
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ValidationError

from framework.cursors import parse_utc
from framework.errors import describe
from framework.models import Address, Change, Customer, Email, Op, Phone

LABEL = "Clientbook"
ADDRESS_KEYS = ("street1", "street2", "city", "state", "postal_code", "country")


def to_change(client: Any) -> Change:
    """A change from one client of the feed (a tombstone becomes a delete).

    A client that cannot be read (a field of the wrong type or form) becomes a change with
    a ``problem`` naming the client and the field, for the engine to quarantine (G-5).
    """
    client_id = str(client.get("id") or "?") if isinstance(client, dict) else "?"
    base: dict[str, Any] = {"entity": "customer", "id": client_id, "link_key": client_id}
    if not isinstance(client, dict):
        return Change(**base, problem=f"a client in the feed is not an object: {client!r:.80}")
    try:
        base["updated_at"] = parse_utc(str(client["updated_at"]))
    except (KeyError, ValueError):
        stamp = client.get("updated_at")
        return Change(**base, problem=f"client {client_id}: updated_at {stamp!r} is not a time")
    actor = client.get("updated_by")
    base["actor"] = None if actor in (None, "api") else str(actor)
    base["version"] = str(client.get("version", ""))
    if client.get("deleted"):
        return Change(**base, op=Op.DELETE)
    try:
        return Change(**base, record=to_customer(client))
    except (ValueError, TypeError, AttributeError) as exc:
        return Change(**base, problem=f"client {client_id} cannot be read: {describe(exc)}")


def _part(model: type[BaseModel], field: str, **values: Any) -> Any:
    """A contact method from one client field; a refusal names the field (``email: …``)."""
    try:
        return model(label=LABEL, preferred=True, **values)
    except ValidationError as exc:
        raise ValueError(f"{field}: {describe(exc)}") from None


def to_customer(client: dict[str, Any]) -> Customer:
    """The canonical customer of a client.

    Raises:
        ValueError: a field is of the wrong type or form (the message names it).
    """
    address = client.get("address")
    if address is not None and not isinstance(address, dict):
        raise ValueError(f"address: expected an object, got {address!r:.60}")
    prefs = client.get("preferences") or []
    if not isinstance(prefs, list) or not all(isinstance(p, dict) for p in prefs):
        raise ValueError(f"preferences: expected a list of {{name, value}}, got {prefs!r:.60}")
    email, mobile = client.get("email"), client.get("mobile")
    return Customer(
        first_name=client.get("first_name"),
        last_name=client.get("last_name"),
        emails=[_part(Email, "email", address=email)] if email else [],
        phones=[_part(Phone, "mobile", number=mobile)] if mobile else [],
        addresses=[_part(Address, "address", **{k: address.get(k) for k in ADDRESS_KEYS})]
        if address and any(address.get(k) for k in ADDRESS_KEYS)
        else [],
        custom={p.get("name"): p["value"] for p in prefs if p.get("value") is not None},
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
