"""What a store's staff do in Edge beyond customers, as ``docs/edge-exchange.md`` models it.

Wishes, notes, service jobs, appointments, items, sale lines and text notifications are
made and changed as people do in Edge (the fake's own hands, ``fakes/edge/records.py``);
Activity entries (messages from a partner, CB-9) are only ever imported, never made by
hand. Each kind is read back in canonical terms, written from the page, not from the
connector.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import phonenumbers

from fakes.edge import EdgeFake

EDT = "%m/%d/%Y %H:%M:%S"
REGION = "US"
STATUS = {"on_hand": "I", "sold": "S", "other": "O"}
JOB_TYPES = {"repair": "Repair", "custom": "Custom", "appraisal": "Appraisal"}
CHANNELS = {"Email": "email", "Text": "sms"}


def day(value: Any) -> str | None:
    """An EDT date as ``YYYY-MM-DD``."""
    if not value:
        return None
    return dt.datetime.strptime(str(value).split(" ")[0], "%m/%d/%Y").date().isoformat()


def moment(value: Any) -> str | None:
    """An EDT date-time (store time; the suite's store runs on UTC) as RFC 3339."""
    if not value:
        return None
    return dt.datetime.strptime(str(value), EDT).replace(tzinfo=dt.UTC).isoformat()


def edt_day(value: Any) -> str | None:
    """``YYYY-MM-DD`` as an EDT date."""
    return None if not value else dt.date.fromisoformat(str(value)).strftime("%m/%d/%Y 00:00:00")


def edt_moment(value: Any) -> str | None:
    """An RFC 3339 moment as an EDT date-time in store time (UTC)."""
    if not value:
        return None
    return dt.datetime.fromisoformat(str(value)).astimezone(dt.UTC).strftime(EDT)


def national(number: str) -> str:
    """How Edge stores a phone number of its region: national digits."""
    parsed = phonenumbers.parse(number, None)
    if phonenumbers.region_code_for_number(parsed) == REGION:
        return str(phonenumbers.national_significant_number(parsed))
    return number


def e164(text: str) -> str:
    """A stored number as E.164."""
    parsed = phonenumbers.parse(text, REGION)
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)


def _text(value: Any) -> str | None:
    out = str(value).strip() if value is not None else ""
    return out or None


@dataclass(frozen=True)
class Kind:
    """One Edge file kind beyond customers, from a user's side.

    ``fields`` maps canonical fields to PairValue fields written as they are (or through a
    function); ``gone`` says when a record counts as deleted; ``user`` holds who changed it.
    """

    table: str
    owner: str
    fields: dict[str, str]
    to_edt: dict[str, Callable[[Any], Any]]
    gone: Callable[[dict[str, Any]], bool]
    user: str | None
    actions: tuple[str, ...]
    read: Callable[[dict[str, Any]], dict[str, Any]]


def _wish(v: dict[str, Any]) -> dict[str, Any]:
    return {
        "customer": v.get("WishlistCustKey"),
        "item_key": _text(v.get("WishlistItemKey")),
        "description": v.get("WishlistItemDesc"),
        "buy_for": _text(v.get("WishlistBuyFor")),
        "event": _text(v.get("WishlistEventDesc")),
        "event_date": day(v.get("WishlistEventDate")),
        "date_entered": day(v.get("WishlistDateEntered")),
        "date_bought": day(v.get("WishlistDateBought")),
        "associate": _text(v.get("WishlistAssociate") or None),
    }


def _note(v: dict[str, Any]) -> dict[str, Any]:
    return {
        "customer": v.get("NoteCustKey"),
        "text": v.get("NoteText"),
        "date": moment(v.get("NoteDate")),
        "associate": _text(v.get("NoteUpdateUser")) or _text(v.get("NoteAssociate")),
    }


def _job(v: dict[str, Any]) -> dict[str, Any]:
    return {
        "customer": v.get("JobCustKey"),
        "job_no": v.get("JobNo"),
        "kind": str(v.get("JobType") or "").lower(),
        "status": v.get("JobStatus"),
        "summary": _text(v.get("JobSummary")),
        "description": _text(v.get("JobDesc")),
        "date_entered": day(v.get("JobDateEntered")),
    }


def _item(v: dict[str, Any]) -> dict[str, Any]:
    status = {"I": "on_hand", "S": "sold"}.get(str(v.get("ItemStatus")), "other")
    title, memo = _text(v.get("ItemDesc")), _text(v.get("ItemDescMemo"))
    vendors = v.get("Vendors") or []
    return {
        "item_key": v.get("ItemKey"),
        "title": title,
        "description": f"{title or ''}{memo}" if memo else None,
        "category": _text(v.get("CategoryName")),
        "vendor": (vendors[0]["PairValue"].get("VendorName") if vendors else None),
        "inventory_type": (_text(v.get("ItemInvType")) or "").lower() or None,
        "price": str(Decimal(str(v["ItemCurrentPrice"]))) if v.get("ItemCurrentPrice") else None,
        "status": status,
        "archived": status == "sold",
        "special_order": bool(v.get("ItemSpecialOrder")),
        "images": [i for i in str(v.get("ItemImage") or "").split("|") if i],
    }


def _sale(v: dict[str, Any]) -> dict[str, Any]:
    return {
        "customer": v.get("SalelineCustKey"),
        "sale_key": v.get("SalelineSaleKey"),
        "line_no": v.get("SalelineLineNo"),
        "item_key": _text(v.get("SalelineItemKey")),
        "description": _text(v.get("SalelineDesc")),
        "amount": str(v.get("SalelineAmount")),
        "quantity": v.get("SalelineQty") or 1,
        "sold_at": day(v.get("SalelineDate")),
        "special_order": bool(v.get("SalelineSpecialOrder")),
    }


def _appointment(v: dict[str, Any]) -> dict[str, Any]:
    return {
        "customer": v.get("AppointmentCustKey"),
        "starts_at": moment(v.get("AppointmentDate")),
        "ends_at": moment(v.get("AppointmentEndDate")),
        "status": str(v.get("AppointmentStatus") or "").lower() or None,
        "subject": _text(v.get("AppointmentReason")),
        "details": _text(v.get("AppointmentNotes")),
        "associate": _text(v.get("AppointmentAssociate")),
    }


def _text_notification(v: dict[str, Any]) -> dict[str, Any]:
    return {
        "phone": e164(str(v.get("NotificationPhone"))),
        "body": v.get("NotificationText"),
        "customer": v.get("NotificationCustKey"),
        "kind": _text(v.get("NotificationReason")),
    }


def _activity(v: dict[str, Any]) -> dict[str, Any]:
    return {
        "customer": v.get("ActivityCustKey"),
        "channel": CHANNELS.get(str(v.get("ActivityType")), "sms"),
        "subject": _text(v.get("ActivitySubject")),
        "body": v.get("ActivityText"),
        "sent_at": moment(v.get("ActivityDate")),
        "associate": _text(v.get("ActivityAssociate")),
    }


def _price(value: Any) -> float | None:
    return None if value is None else float(value)


KINDS: dict[str, Kind] = {
    "wish": Kind(
        "WishList",
        "WishlistCustKey",
        {
            "item_key": "WishlistItemKey",
            "description": "WishlistItemDesc",
            "buy_for": "WishlistBuyFor",
            "event": "WishlistEventDesc",
            "event_date": "WishlistEventDate",
            "date_entered": "WishlistDateEntered",
            "date_bought": "WishlistDateBought",
        },
        {
            "item_key": lambda v: v or "",
            "buy_for": lambda v: v or "",
            "event_date": edt_day,
            "date_entered": edt_day,
            "date_bought": edt_day,
        },
        lambda v: bool(v.get("WishlistDateRemoved")),
        "WishlistUpdateUser",
        ("add", "edit", "delete"),
        _wish,
    ),
    "note": Kind(
        "NoteList",
        "NoteCustKey",
        {"text": "NoteText", "date": "NoteDate"},
        {"date": edt_moment},
        lambda v: bool(v.get("NoteDeleted")),
        "NoteUpdateUser",
        ("add", "edit", "delete"),
        _note,
    ),
    "service_job": Kind(
        "JobList",
        "JobCustKey",
        {"status": "JobStatus", "summary": "JobSummary", "description": "JobDesc"},
        {},
        lambda v: False,
        None,
        ("add", "edit"),
        _job,
    ),
    "product": Kind(
        "ItemList",
        "",
        {
            "title": "ItemDesc",
            "category": "CategoryName",
            "price": "ItemCurrentPrice",
            "status": "ItemStatus",
            "inventory_type": "ItemInvType",
            "special_order": "ItemSpecialOrder",
        },
        {
            "price": _price,
            "status": lambda v: STATUS[v],
            "inventory_type": lambda v: (v or "").title(),
        },
        lambda v: False,
        None,
        ("add", "edit"),
        _item,
    ),
    "purchase": Kind(
        "Transaction",
        "SalelineCustKey",
        {"description": "SalelineDesc", "amount": "SalelineAmount", "quantity": "SalelineQty"},
        {"amount": _price},
        lambda v: bool(v.get("SalelineVoid")),
        None,
        ("add", "edit", "delete"),
        _sale,
    ),
    "appointment": Kind(
        "AppointmentList",
        "AppointmentCustKey",
        {
            "starts_at": "AppointmentDate",
            "ends_at": "AppointmentEndDate",
            "status": "AppointmentStatus",
            "subject": "AppointmentReason",
            "details": "AppointmentNotes",
        },
        {
            "starts_at": edt_moment,
            "ends_at": edt_moment,
            "status": lambda v: str(v).title(),
        },
        lambda v: False,  # a cancelled appointment is kept, Cancelled
        None,
        ("add", "edit"),
        _appointment,
    ),
    "sms_notification": Kind(
        "NotificationList",
        "NotificationCustKey",
        {},
        {},
        lambda v: str(v.get("NotificationType")) != "Text",
        None,
        ("add",),
        _text_notification,
    ),
    "message": Kind(
        "ActivityList",
        "ActivityCustKey",
        {},
        {},
        lambda v: False,
        "ActivityAssociate",
        (),
        _activity,
    ),
}


class EdgeRecords:
    """A store's staff at work on Edge's records other than customers."""

    def __init__(self, edge: EdgeFake):
        self.edge = edge

    def values(self, entity: str, values: dict[str, Any]) -> dict[str, Any]:
        """Canonical values as the PairValue fields people set."""
        kind = KINDS[entity]
        out: dict[str, Any] = {}
        for name, value in values.items():
            if name in kind.fields:
                out[kind.fields[name]] = kind.to_edt.get(name, lambda v: v)(value)
        if entity == "product" and "description" in values:
            out["ItemDescMemo"] = self._memo(values.get("title"), values["description"])
        if entity == "product" and "vendor" in values and values["vendor"]:
            vendor = values["vendor"]
            out["Vendors"] = [{"Key": vendor[:3].upper(), "PairValue": {"VendorName": vendor}}]
        return out

    @staticmethod
    def _memo(title: str | None, description: str | None) -> str:
        """Edge keeps a long description as the title and its overflow (``ItemDescMemo``)."""
        if not description:
            return ""
        title = title or ""
        return description[len(title) :] if description.startswith(title) else f" {description}"

    def add(self, entity: str, data: dict[str, Any], actor: str | None) -> str:
        """Make one record as the staff do."""
        edge = self.edge
        associate = int(actor) if actor and actor.isdigit() else 1
        customer = str(data.get("customer") or "")
        if entity == "wish":
            key = edge.add_wish(customer, data["description"], associate=associate)
        elif entity == "note":
            key = edge.add_note(customer, data["text"], associate=associate)
        elif entity == "service_job":
            kind = JOB_TYPES[data["kind"]]
            key = edge.add_job(customer, kind, data.get("summary") or "", status=data["status"])
        elif entity == "product":
            key = edge.add_item(data.get("title") or "", category=data.get("category") or "")
        elif entity == "purchase":
            line = {"desc": data.get("description"), "amount": float(data["amount"])}
            key = edge.add_sale(customer, [{**line, "qty": data.get("quantity") or 1}])[0]
        elif entity == "appointment":
            starts = dt.datetime.fromisoformat(str(data["starts_at"]))
            key = edge.add_appointment(customer, starts, associate=associate)
        elif entity == "sms_notification":
            key = edge.notify_text(customer, data["body"], data.get("kind") or "")
            self.table(entity).edit(key, {"NotificationPhone": national(data["phone"])})
        else:
            raise NotImplementedError(f"Edge's users do not make {entity} records")
        self.edit(entity, key, {k: v for k, v in data.items() if v is not None}, actor)
        return key

    def edit(self, entity: str, key: str, values: dict[str, Any], actor: str | None) -> None:
        """Change fields of a record."""
        changes = self.values(entity, values)
        user = KINDS[entity].user
        if user and actor is not None:
            changes[user] = actor
        if changes:
            self.table(entity).edit(key, changes)

    def delete(self, entity: str, key: str) -> None:
        """Take a wish off the list, delete a note, void a sale line."""
        if entity == "wish":
            self.edge.remove_wish(key)
        elif entity == "note":
            self.edge.delete_note(key)
        elif entity == "purchase":
            self.edge.void_line(key)
        else:
            raise NotImplementedError(f"Edge's users do not delete {entity} records")

    def table(self, entity: str) -> Any:
        """The fake's table of the entity's kind."""
        return self.edge.tables[KINDS[entity].table]

    def get(self, entity: str, key: str) -> dict[str, Any] | None:
        """A live record in canonical terms."""
        value = self.table(entity).records.get(key)
        if value is None or KINDS[entity].gone(value):
            return None
        return KINDS[entity].read(value)

    def ids(self, entity: str) -> list[str]:
        """Keys of live records."""
        kind = KINDS[entity]
        return [k for k, v in self.table(entity).records.items() if not kind.gone(v)]

    def associate_of(self, entity: str, key: str) -> str | None:
        """Who made the last change (G-8)."""
        user = KINDS[entity].user
        if user is None:
            raise NotImplementedError(f"Edge records no associate on {entity} records")
        value = self.table(entity).records[key].get(user)
        return None if value is None else str(value)

    def does(self, entity: str, action: str) -> bool:
        """What the staff do with records of ``entity``."""
        return action in KINDS[entity].actions

    def add_unreadable(self, entity: str, customer: str) -> str:
        """A record no canonical one can carry, as a faulty import or a typo leaves it."""
        edge = self.edge
        if entity == "wish":
            key = edge.add_wish(customer, "Broken wish")
            self.table(entity).edit(key, {"WishlistEventDate": "not a date"})
        elif entity == "note":
            key = edge.add_note(customer, "Broken note")
            self.table(entity).edit(key, {"NoteDate": "31/31/2026 99:00:00"})
        elif entity == "service_job":
            key = edge.add_job(customer, "Repair", "Broken job")
            self.table(entity).edit(key, {"JobType": "Polish"})
        elif entity == "purchase":
            key = edge.add_sale(customer, [{"desc": "Broken line", "amount": 1.0}])[0]
            self.table(entity).edit(key, {"SalelineAmount": None})
        elif entity == "appointment":
            key = edge.add_appointment(customer, dt.datetime(2026, 12, 1, 15), reason="Broken")
            self.table(entity).edit(key, {"AppointmentStatus": "Postponed"})
        else:
            raise NotImplementedError(f"no malformed {entity} record is modelled")
        return str(key)
