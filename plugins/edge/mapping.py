"""EDT customers (Key/PairValue) <-> canonical customers."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import phonenumbers
from pydantic import BaseModel, ValidationError

from framework.errors import describe
from framework.models import Address, Customer, Email, Phone
from framework.normalize import phone_e164

CUSTOM_KEYS = tuple(f"CustomerKey{i}" for i in range(1, 9))
ADDRESS = {
    "street1": "AddressStreet",
    "street2": "AddressStreet2",
    "city": "AddressCity",
    "state": "AddressState",
    "postal_code": "AddressZip",
    "country": "AddressCountry",
    "company": "AddressCompany",
}


def _text(value: Any, field: str = "value", where: str = "") -> str | None:
    """Text from an EDT value: strings trimmed, numbers as written, anything else refused.

    ``where`` is the contact object holding ``field`` (``Emails[1]``), for the message.

    Raises:
        ValueError: the value is an object, a list or a boolean (the message names it).
    """
    if type(value) is str:  # nearly every value
        return value.strip() or None
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        name = f"{where}.{field}" if where else field
        raise ValueError(f"{name}: expected text, got {type(value).__name__} {value!r:.60}")
    text = str(value).strip()
    return text or None


def _flag(value: Any, field: str, where: str = "") -> bool | None:
    if value is None or isinstance(value, bool):
        return value
    name = f"{where}.{field}" if where else field
    raise ValueError(f"{name}: expected true or false, got {value!r:.60}")


def _birth(value: Any) -> dt.date | None:
    text = _text(value, "CustomerBirthDate")
    if text is None:
        return None
    try:
        return dt.datetime.strptime(text.split(" ")[0], "%m/%d/%Y").date()
    except ValueError:
        raise ValueError(
            f"CustomerBirthDate: {text!r} is not a date in EDT's mm/dd/yyyy form"
        ) from None


def _contacts(value: dict[str, Any], array: str) -> list[tuple[str, dict[str, Any]]]:
    """The (Key, PairValue) of each contact object of ``array``, checked for shape."""
    items = value.get(array)
    if items is None:
        return []
    if not isinstance(items, list):
        raise ValueError(f"{array}: expected a list of contact objects, got {items!r:.60}")
    out = []
    for n, item in enumerate(items):
        if not isinstance(item, dict) or not isinstance(item.get("PairValue"), dict):
            raise ValueError(f"{array}[{n}]: a contact object needs a Key and a PairValue")
        out.append((str(item.get("Key") or ""), item["PairValue"]))
    return out


Method = Callable[[type[BaseModel], str, dict[str, Any]], Any]
"""Makes a contact method of its fields (``_method``), or keeps them for later."""


def _method(model: type[BaseModel], where: str, fields: dict[str, Any]) -> Any:
    """A contact method; a refusal names the contact object (``Emails[1]: …``)."""
    try:
        return model(**fields)
    except ValidationError as exc:
        raise ValueError(f"{where}: {describe(exc)}") from None


def _method_fields(model: type[BaseModel], where: str, fields: dict[str, Any]) -> Any:
    """A contact method's fields, validated later with the customer's."""
    return fields


def to_customer(value: dict[str, Any], region: str) -> Customer:
    """The canonical customer of an EDT PairValue.

    The customer is validated once, contact methods included. Should that fail, it is read
    again validating each contact method as it is read, for the error to name the first
    fault in reading order, the contact object included (``Emails[1]: …``): bad records are
    rare, and a customer's contact methods no longer cost a validation each (issue 17).

    Raises:
        ValueError: a field is malformed or of the wrong type (the message names it).
    """
    try:
        return Customer.model_validate(_customer_fields(value, region, _method_fields))
    except (ValueError, TypeError, KeyError, AttributeError):
        return Customer(**_customer_fields(value, region, _method))


def _customer_fields(value: dict[str, Any], region: str, method: Method) -> dict[str, Any]:
    """The customer's fields read from an EDT PairValue; ``method`` makes a contact method.

    Raises:
        ValueError: a field is malformed or of the wrong type (the message names it).
    """
    pref_email = value.get("CustomerPrefEMail") or value.get("CustomerPrefHome")
    emails = []
    for n, (key, m) in enumerate(_contacts(value, "Emails")):
        where = f"Emails[{n}]"
        address = _text(m.get("EmailEmail"), "EmailEmail", where)
        if address:
            emails.append(
                method(
                    Email,
                    where,
                    {
                        "address": address,
                        "label": _text(m.get("EmailType"), "EmailType", where),
                        "preferred": key == pref_email,
                        "promo": _flag(m.get("EmailSendPromo"), "EmailSendPromo", where),
                    },
                )
            )
    phones = []
    pref_phone = value.get("CustomerPrefPhone")
    for n, (key, m) in enumerate(_contacts(value, "Phones")):
        where = f"Phones[{n}]"
        number = _text(m.get("PhonePhone"), "PhonePhone", where)
        if number:
            try:
                e164 = phone_e164(number, region)
            except ValueError as exc:
                raise ValueError(f"{where}: {exc}") from None
            phones.append(
                method(
                    Phone,
                    where,
                    {
                        "number": e164,
                        "label": _text(m.get("PhoneType"), "PhoneType", where),
                        "preferred": key == pref_phone,
                        "extension": _text(m.get("PhonePhoneExt"), "PhonePhoneExt", where),
                        "do_not_contact": _flag(
                            m.get("PhoneDoNotContact"), "PhoneDoNotContact", where
                        ),
                    },
                )
            )
    addresses = []
    pref_mail = value.get("CustomerPrefMail")
    for n, (key, m) in enumerate(_contacts(value, "Addresses")):
        where = f"Addresses[{n}]"
        fields = {
            "label": _text(m.get("AddressType"), "AddressType", where),
            "preferred": key == pref_mail,
        }
        for k, v in ADDRESS.items():
            fields[k] = _text(m.get(v), v, where)
        addresses.append(method(Address, where, fields))
    custom = {k: text for k in CUSTOM_KEYS if (text := _text(value.get(k), k))}
    return {
        "first_name": _text(value.get("CustomerFirstName"), "CustomerFirstName"),
        "middle_name": _text(value.get("CustomerMiddleName"), "CustomerMiddleName"),
        "last_name": _text(value.get("CustomerLastName"), "CustomerLastName"),
        "company": _text(value.get("CustomerCompany"), "CustomerCompany"),
        "gender": _text(value.get("CustomerGender"), "CustomerGender"),
        "birth_date": _birth(value.get("CustomerBirthDate")),
        "emails": emails,
        "phones": phones,
        "addresses": addresses,
        "custom": custom,
        "acquisition": _text(value.get("CustomerAcquisition"), "CustomerAcquisition"),
        "sync_flag": bool(_flag(value.get("CustomerXfer"), "CustomerXfer")),
    }


def edge_phone(number: str, region: str) -> str:
    """E.164 as Edge stores it: national digits in the store's region, else ``+`` digits."""
    parsed = phonenumbers.parse(number, None)
    if phonenumbers.region_code_for_number(parsed) == region:
        return str(phonenumbers.national_significant_number(parsed))
    return number


_SIMPLE = {
    "first_name": "CustomerFirstName",
    "middle_name": "CustomerMiddleName",
    "last_name": "CustomerLastName",
    "company": "CustomerCompany",
    "gender": "CustomerGender",
    "acquisition": "CustomerAcquisition",
    "sync_flag": "CustomerXfer",
}


def to_pair_value(
    customer: Customer, fields: list[str] | None, key: str, region: str
) -> dict[str, Any]:
    """The PairValue fields to import for ``fields`` of ``customer`` (``None``: all)."""
    wanted = None if fields is None else {f.partition(".")[0] for f in fields}
    value: dict[str, Any] = {}

    def want(name: str) -> bool:
        return wanted is None or name in wanted

    for name, edt in _SIMPLE.items():
        if want(name) and (fields is not None or getattr(customer, name) is not None):
            value[edt] = (
                getattr(customer, name) if name != "sync_flag" else bool(customer.sync_flag)
            )
    if want("birth_date") and customer.birth_date is not None:
        value["CustomerBirthDate"] = customer.birth_date.strftime("%m/%d/%Y 00:00:00")
    if want("custom"):
        for k in CUSTOM_KEYS:
            if k in customer.custom or fields is not None:
                value[k] = customer.custom.get(k, "")
    if want("emails"):
        value["Emails"], value["CustomerPrefEMail"] = _methods(
            customer.emails,
            "Email",
            key,
            lambda e: {"EmailEmail": e.address, "EmailSendPromo": bool(e.promo)},
        )
    if want("phones"):
        value["Phones"], value["CustomerPrefPhone"] = _methods(
            customer.phones,
            "Phone",
            key,
            lambda p: {
                "PhonePhone": edge_phone(p.number, region),
                "PhonePhoneExt": p.extension or "",
                "PhoneDoNotContact": bool(p.do_not_contact),
            },
        )
    if want("addresses"):
        value["Addresses"], value["CustomerPrefMail"] = _methods(
            customer.addresses,
            "Address",
            key,
            lambda a: {v: getattr(a, k) or "" for k, v in ADDRESS.items()},
        )
    return value


def _methods(
    items: list[Any], prefix: str, key: str, body: Any
) -> tuple[list[dict[str, Any]], str]:
    """Contact objects with unique Keys equal to their type (``Home``, ``Home 2``…)."""
    out: list[dict[str, Any]] = []
    taken: set[str] = set()
    preferred = ""
    for item in items:
        kind = item.label or "Other"
        record_key, n = kind, 2
        while record_key in taken:
            record_key, n = f"{kind} {n}", n + 1
        taken.add(record_key)
        if item.preferred and not preferred:
            preferred = record_key
        out.append(
            {
                "Key": record_key,
                "PairValue": {f"{prefix}CustKey": key, f"{prefix}Type": kind, **body(item)},
            }
        )
    return out, preferred or (str(out[0]["Key"]) if out else "")
