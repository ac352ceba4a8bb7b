"""EDT customers (Key/PairValue) <-> canonical customers."""

from __future__ import annotations

import datetime as dt
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


def _text(value: Any, field: str = "value") -> str | None:
    """Text from an EDT value: strings trimmed, numbers as written, anything else refused.

    Raises:
        ValueError: the value is an object, a list or a boolean (the message names it).
    """
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        raise ValueError(f"{field}: expected text, got {type(value).__name__} {value!r:.60}")
    text = str(value).strip()
    return text or None


def _flag(value: Any, field: str) -> bool | None:
    if value is None or isinstance(value, bool):
        return value
    raise ValueError(f"{field}: expected true or false, got {value!r:.60}")


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


def _method(model: type[BaseModel], where: str, **fields: Any) -> Any:
    """A contact method; a refusal names the contact object (``Emails[1]: …``)."""
    try:
        return model(**fields)
    except ValidationError as exc:
        raise ValueError(f"{where}: {describe(exc)}") from None


def to_customer(value: dict[str, Any], region: str) -> Customer:
    """The canonical customer of an EDT PairValue.

    Raises:
        ValueError: a field is malformed or of the wrong type (the message names it).
    """
    pref_email = value.get("CustomerPrefEMail") or value.get("CustomerPrefHome")
    emails = []
    for n, (key, m) in enumerate(_contacts(value, "Emails")):
        address = _text(m.get("EmailEmail"), f"Emails[{n}].EmailEmail")
        if address:
            emails.append(
                _method(
                    Email,
                    f"Emails[{n}]",
                    address=address,
                    label=_text(m.get("EmailType"), f"Emails[{n}].EmailType"),
                    preferred=key == pref_email,
                    promo=_flag(m.get("EmailSendPromo"), f"Emails[{n}].EmailSendPromo"),
                )
            )
    phones = []
    for n, (key, m) in enumerate(_contacts(value, "Phones")):
        number = _text(m.get("PhonePhone"), f"Phones[{n}].PhonePhone")
        if number:
            try:
                e164 = phone_e164(number, region)
            except ValueError as exc:
                raise ValueError(f"Phones[{n}]: {exc}") from None
            phones.append(
                _method(
                    Phone,
                    f"Phones[{n}]",
                    number=e164,
                    label=_text(m.get("PhoneType"), f"Phones[{n}].PhoneType"),
                    preferred=key == value.get("CustomerPrefPhone"),
                    extension=_text(m.get("PhonePhoneExt"), f"Phones[{n}].PhonePhoneExt"),
                    do_not_contact=_flag(
                        m.get("PhoneDoNotContact"), f"Phones[{n}].PhoneDoNotContact"
                    ),
                )
            )
    addresses = [
        _method(
            Address,
            f"Addresses[{n}]",
            label=_text(m.get("AddressType"), f"Addresses[{n}].AddressType"),
            preferred=key == value.get("CustomerPrefMail"),
            **{k: _text(m.get(v), f"Addresses[{n}].{v}") for k, v in ADDRESS.items()},
        )
        for n, (key, m) in enumerate(_contacts(value, "Addresses"))
    ]
    custom = {k: _text(value.get(k), k) for k in CUSTOM_KEYS}
    return Customer(
        first_name=_text(value.get("CustomerFirstName"), "CustomerFirstName"),
        middle_name=_text(value.get("CustomerMiddleName"), "CustomerMiddleName"),
        last_name=_text(value.get("CustomerLastName"), "CustomerLastName"),
        company=_text(value.get("CustomerCompany"), "CustomerCompany"),
        gender=_text(value.get("CustomerGender"), "CustomerGender"),
        birth_date=_birth(value.get("CustomerBirthDate")),
        emails=emails,
        phones=phones,
        addresses=addresses,
        custom={k: v for k, v in custom.items() if v},
        acquisition=_text(value.get("CustomerAcquisition"), "CustomerAcquisition"),
        sync_flag=bool(_flag(value.get("CustomerXfer"), "CustomerXfer")),
    )


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
