"""An IdoSell shop as a conformance subject: its fake, and a driver acting as the shop's staff.

The driver follows ``docs/idosell-api.md``: a client account has a login (IS-7), billing
data (first and last name, company, NIP, address, phone; IS-5, IS-8), an e-mail, delivery
addresses that are only ever added (IS-9), a discount group (IS-10), the shops it buys in
(IS-11) and the ERP's trade credit and balance (IS-12); its external code is the F/K
customer's code (IS-3). The shop's staff change accounts in its panel (the fake's hands).

Accounts are never deleted through the API (the bridge never deletes, G-7), so the subject
claims ``deletes_reported = False``; every account belongs to a shop, so the suite's records
carry one (``required``).
"""

from __future__ import annotations

from contextlib import AbstractContextManager
from decimal import Decimal
from pathlib import Path
from typing import Any

import phonenumbers

from conformance import faults
from conformance.driver import Driver
from conformance.subject import Claims, FakeSystem, Subject
from fakes.idosell import IdoSellState, make_app
from fakes.toolkit import FaultState, SyncASGITransport
from framework.models.base import CanonicalRecord

API_KEY = "conformance-idosell-key"
BASE_URL = "https://conformance.iai-shop.com/api/admin/v6"
CENT = Decimal("0.01")


def _first(items: list[dict[str, Any]] | None) -> dict[str, Any] | None:
    items = items or []
    return next((i for i in items if i.get("preferred")), items[0] if items else None)


def _text(value: Any) -> str | None:
    text = " ".join(str(value).split()) if value is not None else ""
    return text or None


def _money(value: Any) -> Decimal:
    return Decimal(str(value or 0)).quantize(CENT)


class IdoSellDriver(Driver):
    """The shop's staff at work in its administration panel."""

    def __init__(self, state: IdoSellState, faults: FaultState):
        self.state = state
        self.faults = faults
        self.made = 0

    def _group(self, name: str | None) -> int | None:
        if not name:
            return None
        return next(n for n, g in self.state.groups.items() if g == name)

    def panel(self, values: dict[str, Any]) -> dict[str, Any]:
        """The panel's (camelCase) fields for canonical ``values``; ``""`` clears one."""
        out: dict[str, Any] = {}
        names = {
            "first_name": "clientFirstName",
            "last_name": "clientLastName",
            "company": "clientFirm",
            "tax_id": "clientNip",
        }
        for name, field in names.items():
            if name in values:
                out[field] = values[name] or ""
        if "emails" in values:
            email = _first(values["emails"])
            out["clientEmail"] = email["address"] if email else ""
        if "phones" in values:
            phone = _first(values["phones"])
            out["clientPhone1"] = phone["number"] if phone else ""
        if "addresses" in values:
            address = _first(values["addresses"]) or {}
            out["clientStreet"] = address.get("street1") or ""
            out["clientZipCode"] = address.get("postal_code") or ""
            out["clientCity"] = address.get("city") or ""
            out["clientCountryId"] = (address.get("country") or "PL").lower()
        if "shops" in values:
            out["shopsIds"] = [int(s) for s in values["shops"] or []]
        if "discount_group" in values:
            out["clientGroupDiscountNumber"] = self._group(values["discount_group"])
        if values.get("trade_credit") is not None:
            credit = values["trade_credit"]
            limit = Decimal(str(credit.get("limit") or 0)) if credit.get("allowed") else 0
            out["clientTradeCreditLimitExternal"] = float(limit)
            out["clientBalanceAmountExternal"] = -float(Decimal(str(credit.get("balance") or 0)))
        return out

    # -- records ----------------------------------------------------------------------------

    def add(self, entity: str, record: CanonicalRecord, actor: str | None = None) -> str:
        """Open an account in the panel (then set what only the panel's edit form holds)."""
        return self._open(record, None)

    def add_with_code(
        self, entity: str, record: CanonicalRecord, code: str, actor: str | None = None
    ) -> str:
        """Open an account carrying the external code ``code`` (IS-3)."""
        return self._open(record, code)

    def set_code(self, entity: str, record_id: str, code: str) -> None:
        """Change an account's external code in the panel (IS-4 when only here)."""
        self.state.set_code(int(record_id), None, code)

    def _open(self, record: CanonicalRecord, code: str | None) -> str:
        self.made += 1
        data = record.model_dump(mode="json")
        panel = self.panel(data)
        made = self.state.create(
            {
                "code_extern": code,
                "login": data.get("login") or f"client-{self.made}",
                "firstname": panel.get("clientFirstName") or None,
                "lastname": panel.get("clientLastName") or None,
                "company": panel.get("clientFirm") or None,
                "shops": panel.get("shopsIds") or [1],
            }
        )
        client_id = str(made["clientId"])
        self.edit("customer", client_id, {k: v for k, v in data.items() if v not in (None, [])})
        return client_id

    def edit(
        self, entity: str, record_id: str, values: dict[str, Any], actor: str | None = None
    ) -> None:
        """Change an account; a new delivery address is added to those it has."""
        client = self.state.clients[int(record_id)]
        fields = self.panel(values)
        if fields:
            self.state.edit(int(record_id), **fields)
        held = {
            (d["clientDeliveryAddressStreet"], d["clientDeliveryAddressZipCode"])
            for d in client["deliveries"]
        }
        for d in values.get("delivery_addresses") or []:
            if (d.get("street1"), d.get("postal_code")) in held:
                continue
            self.state.add_delivery(
                {
                    "clientLogin": client["clientLogin"],
                    "clientDeliveryAddressStreet": d.get("street1"),
                    "clientDeliveryAddressZipCode": d.get("postal_code"),
                    "clientDeliveryAddressCity": d.get("city"),
                    "clientDeliveryAddressCountry": (d.get("country") or "PL").lower(),
                }
            )

    def delete(self, entity: str, record_id: str, actor: str | None = None) -> None:
        """Accounts are not deleted through the API the bridge uses."""
        raise NotImplementedError("the shop's accounts are not deleted here")

    def does(self, entity: str, action: str) -> bool:
        """Staff open and change accounts."""
        return action in ("add", "edit")

    def get(self, entity: str, record_id: str) -> dict[str, Any] | None:
        """An account in canonical terms."""
        client = self.state.clients.get(int(record_id))
        if client is None:
            return None
        r = self.state.as_result(client)
        bill = r["clientBillingAddress"]
        prefs = r["clientPreferences"]
        limit = _money(r["clientTradeCredit"]["clientTradeCreditLimit"])
        owed = -_money(r["clientBalances"][0]["clientBalanceAmount"])
        street, zipcode, city = (
            _text(bill[k]) for k in ("clientStreet", "clientZipCode", "clientCity")
        )
        return {
            "first_name": _text(bill["clientFirstName"]),
            "last_name": _text(bill["clientLastName"]),
            "company": _text(bill["clientFirm"]),
            "tax_id": _text(bill["clientNip"]),
            "emails": [{"address": r["clientEmail"]}] if _text(r["clientEmail"]) else [],
            "phones": [{"number": _e164(bill["clientPhone1"])}]
            if _text(bill["clientPhone1"])
            else [],
            "addresses": [
                {
                    "street1": street,
                    "postal_code": zipcode,
                    "city": city,
                    "country": (_text(bill["clientCountryId"]) or "PL").upper(),
                }
            ]
            if street or zipcode or city
            else [],
            "delivery_addresses": [
                {
                    "street1": d["clientDeliveryAddressStreet"],
                    "postal_code": d["clientDeliveryAddressZipCode"],
                    "city": d["clientDeliveryAddressCity"],
                    "country": (d.get("clientDeliveryAddressCountry") or "pl").upper(),
                }
                for d in client["deliveries"]
            ],
            "discount_group": prefs.get("clientGroupDiscountName"),
            "shops": [str(s["shopId"]) for s in r["clientActiveInShops"]],
            "trade_credit": {
                "allowed": limit > 0,
                "limit": str(limit) if limit > 0 else None,
                "balance": str(owed if owed != 0 else Decimal("0.00")),
            },
            "blocked": self.state.blocked_from_buying(int(record_id)),
            "login": r["clientLogin"],
        }

    def ids(self, entity: str) -> list[str]:
        """Account ids."""
        return [str(i) for i in self.state.clients]

    def same_instant(self) -> AbstractContextManager[None]:
        """Freeze the shop's clock."""
        return faults.frozen(self.state.clock)

    def outage(self, down: bool) -> None:
        """Every call answers 503 while down."""
        self.faults.configure(faults.outage(down))

    def flaky(self, on: bool) -> None:
        """Some calls answer 503 or 429."""
        self.faults.configure(faults.flaky(on))

    def add_unreadable(self, entity: str) -> str:
        """An account an old panel saved with a malformed e-mail (past today's validation)."""
        self.made += 1
        made = self.state.create(
            {"login": f"broken-{self.made}", "firstname": "Broken", "lastname": "X", "shops": [1]}
        )
        made["clientEmail"] = "not an e-mail"
        return str(made["clientId"])


def _e164(text: str) -> str:
    parsed = phonenumbers.parse(text, "PL")
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)


def idosell_fake(tmp: Path) -> FakeSystem:
    """A fresh fake IdoSell shop, served in-process."""
    state, fault_state = IdoSellState(api_key=API_KEY), FaultState()
    return FakeSystem(
        settings={"base_url": BASE_URL, "api_key": API_KEY},
        driver=IdoSellDriver(state, fault_state),
        transport=SyncASGITransport(make_app(state, fault_state)),
    )


subject = Subject(
    connector="idosell",
    fake=idosell_fake,
    # The client list pages by client id; each read starts where the last one began
    # (docs/idosell-api.md, "Reading").
    entities={
        "customer": Claims(feed="windowed", deletes_reported=False, required={"shops": ["1"]})
    },
)
