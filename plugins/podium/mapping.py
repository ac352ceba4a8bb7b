"""Podium contacts <-> canonical customers (``docs/podium-api.md``, how the connector uses them).

A contact has one ``name``, lists of e-mails and phone numbers (the first one preferred),
one address, and attribute values by label: the link code, the acquisition, custom fields.
"""

from __future__ import annotations

import hashlib
from typing import Any

import orjson

from framework import Address, Change, Customer, Email, Phone
from framework.cursors import parse_utc
from framework.errors import describe
from plugins.podium.settings import PodiumSettings

LABEL = "Podium"
ADDRESS = {
    "street1": "addressLine1",
    "street2": "addressLine2",
    "city": "city",
    "state": "state",
    "postal_code": "postalCode",
    "country": "country",
}


def split_name(name: str | None) -> tuple[str | None, str | None]:
    """First and last name of a one-field name: the last word is the last name."""
    words = (name or "").split()
    if not words:
        return None, None
    if len(words) == 1:
        return words[0], None
    return " ".join(words[:-1]), words[-1]


def full_name(customer: Customer) -> str:
    """The one name Podium keeps (it requires one): names, else company, e-mail or phone."""
    name = " ".join(p for p in (customer.first_name, customer.middle_name, customer.last_name) if p)
    if name:
        return name
    email, phone = customer.preferred("emails"), customer.preferred("phones")
    return customer.company or (email.address if email else None) or (phone.number if phone else "")


def attribute_values(contact: dict[str, Any]) -> dict[str, str]:
    """A contact's attribute values by label (values that are set)."""
    return {
        str(a["label"]): str(a["value"])
        for a in contact.get("attributes") or []
        if a.get("label") and a.get("value") not in (None, "")
    }


def to_customer(contact: dict[str, Any], settings: PodiumSettings) -> Customer:
    """The canonical customer of a contact.

    Raises:
        ValueError: an e-mail or phone number is malformed.
    """
    first, last = split_name(contact.get("name"))
    values = attribute_values(contact)
    values.pop(settings.link_attribute, None)
    acquisition = values.pop(settings.acquisition_attribute, None)
    address = contact.get("address") or {}
    return Customer(
        first_name=first,
        last_name=last,
        emails=[
            Email(address=e, label=LABEL, preferred=i == 0)
            for i, e in enumerate(contact.get("emails") or [])
        ],
        phones=[
            Phone(number=p, label=LABEL, preferred=i == 0)
            for i, p in enumerate(contact.get("phoneNumbers") or [])
        ],
        addresses=[
            Address(label=LABEL, preferred=True, **{k: address.get(v) for k, v in ADDRESS.items()})
        ]
        if any(address.get(v) for v in ADDRESS.values())
        else [],
        custom=values,
        acquisition=acquisition or settings.new_contact_acquisition,
    )


def link_code(contact: dict[str, Any], settings: PodiumSettings) -> str | None:
    """The link code a contact carries (set by the create that made it), if any."""
    return attribute_values(contact).get(settings.link_attribute)


def version_of(contact: dict[str, Any]) -> str:
    """A contact's version: its ``updatedAt`` and a hash of its content.

    Podium keeps no version; with the hash, two changes at one instant are two versions.
    """
    content = orjson.dumps(contact, option=orjson.OPT_SORT_KEYS)
    return f"{contact['updatedAt']}#{hashlib.sha256(content).hexdigest()[:16]}"


def to_change(contact: dict[str, Any], settings: PodiumSettings) -> Change:
    """A change from one contact of the feed (an unreadable one carries its problem)."""
    base = {
        "entity": "customer",
        "id": contact["uid"],
        "link_key": link_code(contact, settings),
        "updated_at": parse_utc(contact["updatedAt"]),
        "version": version_of(contact),
    }
    try:
        return Change(**base, record=to_customer(contact, settings))
    except ValueError as exc:
        return Change(**base, problem=f"contact {contact['uid']} cannot be read: {describe(exc)}")


def address_body(customer: Customer) -> dict[str, Any] | None:
    """The preferred address in Podium's shape (``None``: none)."""
    address = customer.preferred("addresses")
    if address is None:
        return None
    return {v: getattr(address, k) for k, v in ADDRESS.items()}


def create_body(customer: Customer, location: str) -> dict[str, Any]:
    """The fields of ``POST /v4/contacts`` (attributes are added by the caller)."""
    body: dict[str, Any] = {"name": full_name(customer), "locations": [location]}
    if email := customer.preferred("emails"):
        body["email"] = email.address
    if phone := customer.preferred("phones"):
        body["phoneNumber"] = phone.number
    if (address := address_body(customer)) is not None:
        body["address"] = address
    return body


def update_body(customer: Customer, fields: list[str]) -> dict[str, Any]:
    """The fields of ``PATCH /v4/contacts/{uid}`` for the canonical ``fields`` that changed.

    An e-mail or phone number the customer no longer has cannot be removed through the
    API (``email`` replaces the first one); the address can be cleared.
    """
    changed = {f.partition(".")[0] for f in fields}
    body: dict[str, Any] = {}
    if changed & {"first_name", "middle_name", "last_name", "company"}:
        body["name"] = full_name(customer)
    if "emails" in changed and (email := customer.preferred("emails")):
        body["email"] = email.address
    if "phones" in changed and (phone := customer.preferred("phones")):
        body["phoneNumber"] = phone.number
    if "addresses" in changed:
        body["address"] = address_body(customer)
    return body


def attribute_changes(
    customer: Customer, fields: list[str] | None, settings: PodiumSettings
) -> dict[str, str | None]:
    """Attribute values to set (``None``: remove) by label: custom fields and acquisition."""
    out: dict[str, str | None] = {}
    if fields is None or "acquisition" in fields:
        out[settings.acquisition_attribute] = customer.acquisition
    if fields is None or "custom" in fields:
        out.update(customer.custom)
    else:
        for name in fields:
            if name.startswith("custom."):
                key = name.partition(".")[2]
                out[key] = customer.custom.get(key)
    if fields is None:
        out = {k: v for k, v in out.items() if v is not None}
    return out


def stored_contact(
    body: dict[str, Any], attributes: dict[str, str | None], settings: PodiumSettings
) -> Customer:
    """The customer Podium will hold once a create takes effect (for the shadow, G-4)."""
    contact = {
        "name": body["name"],
        "emails": [body["email"]] if body.get("email") else [],
        "phoneNumbers": [body["phoneNumber"]] if body.get("phoneNumber") else [],
        "address": body.get("address"),
        "attributes": [{"label": k, "value": v} for k, v in attributes.items()],
    }
    return to_customer(contact, settings)
