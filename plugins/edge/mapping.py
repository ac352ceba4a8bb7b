"""EDT customers (Key/PairValue) <-> canonical customers."""

from __future__ import annotations

import datetime as dt
from typing import Any

import phonenumbers

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


def _text(value: Any) -> str | None:
    if value is None:
        return None
    text = str(value).strip()
    return text or None


def _birth(value: Any) -> dt.date | None:
    text = _text(value)
    if text is None:
        return None
    return dt.datetime.strptime(text.split(" ")[0], "%m/%d/%Y").date()


def to_customer(value: dict[str, Any], region: str) -> Customer:
    """The canonical customer of an EDT PairValue.

    Raises:
        ValueError: a contact method is malformed (the message names it).
    """
    pref_email = value.get("CustomerPrefEMail") or value.get("CustomerPrefHome")
    emails = [
        Email(
            address=m["PairValue"]["EmailEmail"],
            label=_text(m["PairValue"].get("EmailType")),
            preferred=m["Key"] == pref_email,
            promo=m["PairValue"].get("EmailSendPromo"),
        )
        for m in value.get("Emails") or []
        if _text(m["PairValue"].get("EmailEmail"))
    ]
    phones = [
        Phone(
            number=phone_e164(str(m["PairValue"]["PhonePhone"]), region),
            label=_text(m["PairValue"].get("PhoneType")),
            preferred=m["Key"] == value.get("CustomerPrefPhone"),
            extension=_text(m["PairValue"].get("PhonePhoneExt")),
            do_not_contact=m["PairValue"].get("PhoneDoNotContact"),
        )
        for m in value.get("Phones") or []
        if _text(m["PairValue"].get("PhonePhone"))
    ]
    addresses = [
        Address(
            label=_text(m["PairValue"].get("AddressType")),
            preferred=m["Key"] == value.get("CustomerPrefMail"),
            **{k: _text(m["PairValue"].get(v)) for k, v in ADDRESS.items()},
        )
        for m in value.get("Addresses") or []
    ]
    return Customer(
        first_name=_text(value.get("CustomerFirstName")),
        middle_name=_text(value.get("CustomerMiddleName")),
        last_name=_text(value.get("CustomerLastName")),
        company=_text(value.get("CustomerCompany")),
        gender=_text(value.get("CustomerGender")),
        birth_date=_birth(value.get("CustomerBirthDate")),
        emails=emails,
        phones=phones,
        addresses=addresses,
        custom={k: str(value[k]).strip() for k in CUSTOM_KEYS if _text(value.get(k))},
        acquisition=_text(value.get("CustomerAcquisition")),
        sync_flag=bool(value.get("CustomerXfer")),
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
