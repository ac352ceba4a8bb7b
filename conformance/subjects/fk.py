"""F/K programs as conformance subjects: one per flavour, and a driver acting as their users.

The driver follows ``docs/fk-database.md``: a customer (*kontrahent*) has a code (the link
to the shop, IS-3), one name field (the company, or the person's "first last"), first and
last name in Subiekt GT and WF-MAG only (IS-5), a NIP, a billing address, an e-mail, a
phone, delivery addresses (IS-9), a discount group (IS-10), shops (IS-11) and trade credit
with a balance (IS-12). People change them in the program's own screens (the fake's
hands, ``fakes/fk``); who changed a customer last is the "changed by" column (G-8).

There is no change feed (every read is a full read) and a deletion is never reported, so
the subjects claim ``feed = "full"`` and ``deletes_reported = False``; the connector never
creates customers (IS-1 has no such switch).
"""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path
from typing import Any

import phonenumbers

from conformance.driver import Driver
from conformance.subject import Claims, FakeSystem, Subject
from fakes.fk import FkDatabase
from framework.models.base import CanonicalRecord
from plugins.fk.connector import CUSTOMER_FIELDS

REGION = "PL"
DEFAULT_SHOPS = ["1"]
SPLIT = {"subiekt_gt": True, "wf_mag": True, "generic": False}
CENT = Decimal("0.01")


def _first(items: list[dict[str, Any]] | None) -> dict[str, Any] | None:
    items = items or []
    return next((i for i in items if i.get("preferred")), items[0] if items else None)


def _text(value: Any) -> str | None:
    text = " ".join(str(value).split()) if value is not None else ""
    return text or None


def _money(value: Any) -> Decimal:
    return Decimal(str(value if value is not None else 0)).quantize(CENT)


class FkDriver(Driver):
    """The users of one F/K program at work in its screens."""

    def __init__(self, db: FkDatabase):
        self.db = db
        self.split = SPLIT[db.flavour]
        self.made = 0

    # -- records ----------------------------------------------------------------------------

    def add(self, entity: str, record: CanonicalRecord, actor: str | None = None) -> str:
        """Add a customer under a fresh code (``K/0001``…)."""
        self.made += 1
        return self.add_with_code(entity, record, f"K/{self.made:04d}", actor)

    def add_with_code(
        self, entity: str, record: CanonicalRecord, code: str, actor: str | None = None
    ) -> str:
        """Add a customer under the code ``code`` (its Symbol in Subiekt GT)."""
        data = record.model_dump(mode="json")
        fields = self._neutral(data, data)
        deliveries = [
            (d.get("street1") or "", d.get("postal_code") or "", d.get("city") or "")
            for d in data.get("delivery_addresses") or []
        ]
        key = self.db.add(code=code, deliveries=deliveries, **fields)
        if actor is not None:
            self.db.update(key, changed_by=actor)
        return str(key)

    def set_code(self, entity: str, record_id: str, code: str) -> None:
        """Change a customer's code (its Symbol), as a user of the program would."""
        self.db.update(int(record_id), code=code)

    def _neutral(self, values: dict[str, Any], whole: dict[str, Any]) -> dict[str, Any]:
        """The program's fields for canonical ``values`` (``whole``: the record after)."""
        out: dict[str, Any] = {}
        if {"first_name", "last_name", "company"} & set(values):
            person = " ".join(p for p in (whole.get("first_name"), whole.get("last_name")) if p)
            out["name"] = whole.get("company") or person or None
            if self.split:
                out["first"], out["last"] = whole.get("first_name"), whole.get("last_name")
        if "tax_id" in values:
            out["nip"] = values["tax_id"]
        if "emails" in values:
            email = _first(values["emails"])
            out["email"] = email["address"] if email else None
        if "phones" in values:
            phone = _first(values["phones"])
            out["phone"] = phone["number"] if phone else None
        if "addresses" in values:
            address = _first(values["addresses"]) or {}
            out["street"] = address.get("street1")
            out["postcode"] = address.get("postal_code")
            out["city"] = address.get("city")
        if "discount_group" in values:
            out["discount_group"] = values["discount_group"]
        if "shops" in values:
            out["shops"] = [int(s) for s in values["shops"] or []]
        if values.get("trade_credit") is not None:
            credit = values["trade_credit"]
            out["credit_allowed"] = bool(credit.get("allowed"))
            out["credit_limit"] = Decimal(str(credit.get("limit") or 0))
            out["balance"] = Decimal(str(credit.get("balance") or 0))
        return out

    def edit(
        self, entity: str, record_id: str, values: dict[str, Any], actor: str | None = None
    ) -> None:
        """Change a customer; a new delivery address is added to those it has."""
        key = int(record_id)
        current = self.get(entity, record_id) or {}
        fields = self._neutral(values, {**current, **values})
        if actor is not None:
            fields["changed_by"] = actor
        if fields:
            self.db.update(key, **fields)
        held = {
            (d.get("street1"), d.get("postal_code"), d.get("city"))
            for d in current.get("delivery_addresses") or []
        }
        for d in values.get("delivery_addresses") or []:
            street, postcode, city = d.get("street1"), d.get("postal_code"), d.get("city")
            if (street, postcode, city) not in held:
                self.db.add_delivery(key, street or "", postcode or "", city or "")

    def delete(self, entity: str, record_id: str, actor: str | None = None) -> None:
        """Customers are not deleted here (and a deletion would never be reported)."""
        raise NotImplementedError("the suite does not delete F/K customers")

    def does(self, entity: str, action: str) -> bool:
        """People add and change customers; the suite deletes none."""
        return action in ("add", "edit")

    def get(self, entity: str, record_id: str) -> dict[str, Any] | None:
        """A customer in canonical terms."""
        try:
            row = self.db.get(int(record_id))
        except Exception:  # no such row
            return None
        first, last = (_text(row["first"]), _text(row["last"])) if self.split else (None, None)
        name = _text(row["name"])
        person = " ".join(p for p in (first, last) if p)
        same = person and name and name.casefold() == person.casefold()
        street, postcode, city = (_text(row[k]) for k in ("street", "postcode", "city"))
        limit = _money(row["credit_limit"])
        allowed = bool(row["credit_allowed"]) and limit > 0
        balance = _money(row["balance"])
        owed_over = balance > (limit if allowed else Decimal(0))
        shops = [s.strip() for s in str(row["shops"] or "").split(",") if s.strip()]
        return {
            "first_name": first,
            "last_name": last,
            "company": None if same else name,
            "tax_id": (_text(row["nip"]) or "").replace("-", "").replace(" ", "") or None,
            "emails": [{"address": row["email"]}] if _text(row["email"]) else [],
            "phones": [{"number": _e164(row["phone"])}] if _text(row["phone"]) else [],
            "addresses": [
                {"street1": street, "postal_code": postcode, "city": city, "country": "PL"}
            ]
            if street or postcode or city
            else [],
            "delivery_addresses": [
                {"street1": s, "postal_code": p, "city": c, "country": "PL"}
                for s, p, c in row["deliveries"]
            ],
            "discount_group": _text(row["discount_group"]),
            "shops": sorted(shops, key=int) or DEFAULT_SHOPS,
            "trade_credit": {
                "allowed": allowed,
                "limit": str(limit) if allowed else None,
                "balance": str(balance),
            },
            "blocked": owed_over,
        }

    def ids(self, entity: str) -> list[str]:
        """Keys of the program's customers."""
        return [str(self.db.id_of(code)) for code in self.db.codes()]

    def associate_of(self, entity: str, record_id: str) -> str | None:
        """The "changed by" column."""
        changed_by = self.db.get(int(record_id))["changed_by"]
        return None if changed_by in (None, "") else str(changed_by)

    def add_unreadable(self, entity: str) -> str:
        """A customer whose phone was typed as letters (the program takes any text)."""
        self.made += 1
        return str(self.db.add(code=f"K/{self.made:04d}", name="Broken", phone="brak"))


def _e164(text: str) -> str:
    parsed = phonenumbers.parse(text, REGION)
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)


def fk_fake(flavour: str) -> Any:
    """A factory of fresh fake F/K databases of one flavour."""

    def make(tmp: Path) -> FakeSystem:
        tmp.mkdir(parents=True, exist_ok=True)
        db = FkDatabase(tmp / "fk.db", flavour)
        return FakeSystem(settings={"url": db.url, "flavour": flavour}, driver=FkDriver(db))

    return make


FULL_READS = Claims(feed="full", deletes_reported=False)
subject = Subject(
    connector="fk", fake=fk_fake("subiekt_gt"), entities={"customer": FULL_READS}, name="fk"
)
wf_mag = Subject(
    connector="fk", fake=fk_fake("wf_mag"), entities={"customer": FULL_READS}, name="fk-wf-mag"
)
ONE_NAME = tuple(f for f in CUSTOMER_FIELDS if f not in ("first_name", "last_name"))
generic = Subject(
    connector="fk",
    fake=fk_fake("generic"),
    # One name field (IS-5): a generic program holds no first or last name.
    entities={"customer": Claims(fields=ONE_NAME, feed="full", deletes_reported=False)},
    name="fk-generic",
)
