"""IdoSell clients <-> canonical customers (``docs/idosell-api.md``).

GET results (camelCase, billing data nested) are read into customers; customers are written
as POST items (snake_case) or PUT items (camelCase). What a write will look like when read
back is computed by running the written values through the reading code, so the read-back
is recognised as an echo (G-4).
"""

from __future__ import annotations

import re
import unicodedata
from decimal import Decimal
from typing import Any

from framework.errors import describe
from framework.models import Address, Change, Customer, Email, Phone, TradeCredit
from framework.normalize import phone_e164

CENT = Decimal("0.01")
BILLING = (
    "clientFirstName",
    "clientLastName",
    "clientNip",
    "clientFirm",
    "clientStreet",
    "clientZipCode",
    "clientCity",
    "clientCountryId",
    "clientPhone1",
)
NAME_FIELDS = {"first_name", "last_name", "company"}


def _text(value: Any) -> str | None:
    text = " ".join(str(value).split()) if value is not None else ""
    return text or None


def _money(value: Any) -> Decimal:
    return Decimal(str(value or 0)).quantize(CENT)


def _owed(balance: Any) -> Decimal:
    """What the customer owes from IdoSell's account balance (negative: owes)."""
    owed = -_money(balance)
    return owed if owed != 0 else Decimal("0.00")  # never "-0.00"


def fold(text: str) -> str:
    """``Łódź Żak`` -> ``lodz zak``: what a login may be made of."""
    text = text.replace("ł", "l").replace("Ł", "L")
    bare = "".join(c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c))
    return bare.lower()


def login_slug(text: str) -> str:
    """Letters, digits, dots, dashes and underscores only (``docs/idosell-api.md``)."""
    slug = re.sub(r"[^a-z0-9._-]+", "-", fold(text)).strip("-.")
    return re.sub(r"-{2,}", "-", slug)[:64]


# -- reading ----------------------------------------------------------------------------------


def to_change(result: dict[str, Any], deliveries: list[dict[str, Any]]) -> Change:
    """A change from one GET result and the client's delivery addresses."""
    code = _text(result.get("clientCodeExternal"))
    base: dict[str, Any] = {
        "entity": "customer",
        "id": str(result["clientId"]),
        "link_key": code,
        "version": result.get("clientsLastModificationDate"),
    }
    try:
        return Change(**base, record=to_customer(result, deliveries))
    except ValueError as exc:
        return Change(
            **base, problem=f"IdoSell client {result['clientId']} cannot be read: {describe(exc)}"
        )


def to_customer(result: dict[str, Any], deliveries: list[dict[str, Any]]) -> Customer:
    """The canonical customer of a GET result.

    Raises:
        ValueError: a value cannot be read (an e-mail address, a phone number).
    """
    bill = result.get("clientBillingAddress") or {}
    prefs = result.get("clientPreferences") or {}
    email, phone = _text(result.get("clientEmail")), _text(bill.get("clientPhone1"))
    street, zipcode, city = (
        _text(bill.get(k)) for k in ("clientStreet", "clientZipCode", "clientCity")
    )
    trade = result.get("clientTradeCredit") or {}
    balances = result.get("clientBalances") or [{}]
    limit = _money(trade.get("clientTradeCreditLimit"))
    credit = TradeCredit(
        allowed=limit > 0,
        limit=limit if limit > 0 else None,
        balance=_owed(balances[0].get("clientBalanceAmount")),
    )
    return Customer(
        first_name=_text(bill.get("clientFirstName")),
        last_name=_text(bill.get("clientLastName")),
        company=_text(bill.get("clientFirm")),
        tax_id=_text(bill.get("clientNip")),
        emails=[Email(address=email, preferred=True)] if email else [],
        phones=[Phone(number=phone_e164(phone, "PL"), preferred=True)] if phone else [],
        addresses=[
            Address(
                street1=street,
                postal_code=zipcode,
                city=city,
                country=(_text(bill.get("clientCountryId")) or "PL").upper(),
                preferred=True,
            )
        ]
        if street or zipcode or city
        else [],
        delivery_addresses=[_delivery(d) for d in deliveries],
        discount_group=_text(prefs.get("clientGroupDiscountName")),
        shops=[str(s["shopId"]) for s in result.get("clientActiveInShops") or []],
        trade_credit=credit,
        blocked=credit.over_limit(),
        login=_text(result.get("clientLogin")),
    )


def _delivery(d: dict[str, Any]) -> Address:
    return Address(
        street1=_text(d.get("clientDeliveryAddressStreet")),
        postal_code=_text(d.get("clientDeliveryAddressZipCode")),
        city=_text(d.get("clientDeliveryAddressCity")),
        country=(_text(d.get("clientDeliveryAddressCountry")) or "PL").upper(),
    )


# -- writing ----------------------------------------------------------------------------------


def _credit(customer: Customer) -> tuple[float, float]:
    """(limit, balance) as IdoSell takes them: no trade credit is a zero limit (IS-12)."""
    credit = customer.trade_credit or TradeCredit()
    limit = credit.limit if credit.allowed and credit.limit else Decimal(0)
    return float(limit), float(-(credit.balance or Decimal(0))) + 0.0


def post_item(
    customer: Customer, login: str, code: str | None, reference: str, group: int | None
) -> dict[str, Any]:
    """A POST /clients/clients item (snake_case) creating an account."""
    email, phone = customer.preferred("emails"), customer.preferred("phones")
    address = customer.preferred("addresses")
    limit, balance = _credit(customer)
    item: dict[str, Any] = {
        "login": login,
        "code_extern": code,
        "email": email.address if email else None,
        "firstname": customer.first_name,
        "lastname": customer.last_name,
        "company": customer.company,
        "vat_number": customer.tax_id,
        "street": address.street1 if address else None,
        "zipcode": address.postal_code if address else None,
        "city": address.city if address else None,
        "country_code": (address.country or "PL").lower() if address else "pl",
        "phone": phone.number if phone else None,
        "shops": [int(s) for s in customer.shops],
        "client_group": group,
        "external_balance_value": balance,
        "external_trade_credit_limit_value": limit,
        "request_reference": reference,
    }
    return {k: v for k, v in item.items() if v is not None}


def put_item(customer: Customer, login: str, fields: set[str], group: int | None) -> dict[str, Any]:
    """A PUT /clients/clients item (camelCase) with the changed ``fields``; ``""`` clears.

    A change to any of first name, last name or company sends all three, so an F/K program
    with one name field clears IdoSell's first and last name as it fills the company (IS-5).
    """
    item: dict[str, Any] = {"clientLogin": login}
    if fields & NAME_FIELDS:
        item["clientFirstName"] = customer.first_name or ""
        item["clientLastName"] = customer.last_name or ""
        item["clientFirm"] = customer.company or ""
    if "tax_id" in fields:
        item["clientNip"] = customer.tax_id or ""
    if "emails" in fields:
        email = customer.preferred("emails")
        item["clientEmail"] = email.address if email else ""
    if "phones" in fields:
        phone = customer.preferred("phones")
        item["clientPhone1"] = phone.number if phone else ""
    if "addresses" in fields:
        address = customer.preferred("addresses")
        item["clientStreet"] = (address.street1 if address else None) or ""
        item["clientZipCode"] = (address.postal_code if address else None) or ""
        item["clientCity"] = (address.city if address else None) or ""
        if address and address.country:
            item["clientCountryId"] = address.country.lower()
    if "shops" in fields:
        item["shopsIds"] = [int(s) for s in customer.shops]
    if "discount_group" in fields and group is not None:
        item["clientGroupDiscountNumber"] = group
    if "trade_credit" in fields:
        limit, balance = _credit(customer)
        item["clientTradeCreditLimitExternal"] = limit
        item["clientBalanceAmountExternal"] = balance
    return item


def delivery_item(login: str, customer: Customer, address: Address) -> dict[str, Any]:
    """A POST /clients/deliveryAddress item adding one address to the client ``login``."""
    item = {
        "clientLogin": login,
        "clientDeliveryAddressFirstName": customer.first_name,
        "clientDeliveryAddressLastName": customer.last_name or customer.company,
        "clientDeliveryAddressStreet": address.street1,
        "clientDeliveryAddressZipCode": address.postal_code,
        "clientDeliveryAddressCity": address.city,
        "clientDeliveryAddressCountry": (address.country or "PL").lower(),
    }
    return {k: v for k, v in item.items() if v is not None}


def as_stored(
    customer: Customer,
    login: str,
    group_name: str | None,
    deliveries: list[Address],
) -> Customer:
    """The customer as a GET will return it after the write: through the reading code."""
    email, phone = customer.preferred("emails"), customer.preferred("phones")
    address = customer.preferred("addresses")
    limit, balance = _credit(customer)
    bill = {
        "clientFirstName": customer.first_name,
        "clientLastName": customer.last_name,
        "clientNip": customer.tax_id,
        "clientFirm": customer.company,
        "clientStreet": address.street1 if address else None,
        "clientZipCode": address.postal_code if address else None,
        "clientCity": address.city if address else None,
        "clientCountryId": (address.country or "PL").lower() if address else "pl",
        "clientPhone1": phone.number if phone else None,
    }
    result = {
        "clientId": 0,
        "clientLogin": login,
        "clientEmail": email.address if email else None,
        "clientBillingAddress": bill,
        "clientPreferences": {"clientGroupDiscountName": group_name},
        "clientActiveInShops": [{"shopId": int(s)} for s in sorted(customer.shops, key=int)],
        "clientTradeCredit": {"clientTradeCreditLimit": limit},
        "clientBalances": [{"clientBalanceAmount": balance}],
    }
    rows = [
        {
            "clientDeliveryAddressStreet": a.street1,
            "clientDeliveryAddressZipCode": a.postal_code,
            "clientDeliveryAddressCity": a.city,
            "clientDeliveryAddressCountry": a.country,
        }
        for a in deliveries
    ]
    return to_customer(result, rows)
