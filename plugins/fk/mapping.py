"""F/K rows <-> canonical customers (``docs/fk-database.md``, "Rules of the mapping")."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Any

from framework.models import Address, Customer, Email, Phone, TradeCredit
from framework.normalize import phone_e164, text_key
from plugins.fk.flavours import Delivery, Row

CENT = Decimal("0.01")


def _text(value: Any) -> str | None:
    """Trimmed text; the empty string (Subiekt GT's NOT NULL columns) is no value."""
    if value is None:
        return None
    text = " ".join(str(value).split())
    return text or None


def money(value: Any) -> Decimal:
    """An amount to two decimal places (``None`` is zero)."""
    try:
        return Decimal(str(value if value is not None else 0)).quantize(CENT)
    except InvalidOperation:
        raise ValueError(f"{value!r} is not an amount") from None


def nip(value: Any) -> str | None:
    """A NIP without separators (``123-456-32-18`` -> ``1234563218``); other ids trimmed."""
    text = _text(value)
    if text is None:
        return None
    bare = text.replace("-", "").replace(" ", "")
    return bare if bare.isdigit() else text


def shops(value: Any, default: list[int]) -> list[str]:
    """``"1, 3"`` -> ``["1", "3"]``; an empty field means the default shops (IS-11)."""
    found = sorted({int(p) for p in str(value or "").replace(";", ",").split(",") if p.strip()})
    return [str(s) for s in (found or sorted(set(default)))]


def _address(street: Any, postcode: Any, city: Any, country: Any, preferred: bool) -> Address:
    return Address(
        street1=_text(street),
        postal_code=_text(postcode),
        city=_text(city),
        country=(_text(country) or "PL").upper(),
        preferred=preferred,
    )


def to_customer(
    row: Row, deliveries: list[Delivery], split_names: bool, region: str, default_shops: list[int]
) -> Customer:
    """The canonical customer of one F/K row (IS-5 names, IS-8 billing, IS-9 … IS-12).

    Raises:
        ValueError: a value cannot be read (a phone that is no possible number, a bad
            e-mail address); the message names the value.
    """
    first = _text(row.get("first")) if split_names else None
    last = _text(row.get("last")) if split_names else None
    name = _text(row.get("name"))
    person = " ".join(p for p in (first, last) if p)
    company = None if name is None or (person and text_key(name) == text_key(person)) else name
    email, phone = _text(row.get("email")), _text(row.get("phone"))
    street, postcode, city = (_text(row.get(k)) for k in ("street", "postcode", "city"))
    credit = TradeCredit(
        allowed=bool(row.get("credit_allowed")) and money(row.get("credit_limit")) > 0,
        balance=money(row.get("balance")),
    )
    if credit.allowed:
        credit.limit = money(row.get("credit_limit"))
    return Customer(
        first_name=first,
        last_name=last,
        company=company,
        tax_id=nip(row.get("nip")),
        emails=[Email(address=email, preferred=True)] if email else [],
        phones=[Phone(number=phone_e164(phone, region), preferred=True)] if phone else [],
        addresses=[_address(street, postcode, city, row.get("country"), True)]
        if street or postcode or city
        else [],
        delivery_addresses=[_address(*d, preferred=False) for d in deliveries],
        discount_group=_text(row.get("discount_group")),
        shops=shops(row.get("shops"), default_shops),
        trade_credit=credit,
        blocked=credit.over_limit(),
    )


def to_row(customer: Customer, fields: set[str], split_names: bool) -> Row:
    """The row values for the canonical ``fields`` an update writes into the F/K program.

    Trade credit, discount group and shops are the ERP's own (IS-10 … IS-12) and are never
    written; delivery addresses are added separately (IS-9).
    """
    row: Row = {}
    if fields & {"first_name", "last_name", "company"}:
        person = " ".join(p for p in (customer.first_name, customer.last_name) if p) or None
        row["name"] = customer.company or person
        if split_names:
            row["first"], row["last"] = customer.first_name, customer.last_name
    if "tax_id" in fields:
        row["nip"] = customer.tax_id
    if "emails" in fields:
        email = customer.preferred("emails")
        row["email"] = email.address if email else None
    if "phones" in fields:
        phone = customer.preferred("phones")
        row["phone"] = phone.number if phone else None
    if "addresses" in fields:
        address = customer.preferred("addresses")
        row["street"] = address.street1 if address else None
        row["postcode"] = address.postal_code if address else None
        row["city"] = address.city if address else None
        row["country"] = address.country if address else None
    return row


def delivery_of(address: Address) -> Delivery:
    """A canonical delivery address as the F/K program keeps it."""
    return (
        address.street1 or "",
        address.postal_code or "",
        address.city or "",
        (address.country or "PL").upper(),
    )
