"""EDT WishList records <-> canonical wishes (CB-6; ``docs/edge-exchange.md`` items 17-20)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from framework import CanonicalRecord, WishItem
from plugins.edge.edt import format_day, parse_day, text
from plugins.edge.kinds import FileKind
from plugins.edge.settings import EdgeSettings

DAYS = {
    "event_date": "WishlistEventDate",
    "date_entered": "WishlistDateEntered",
    "date_bought": "WishlistDateBought",
}


def to_wish(value: dict[str, Any], settings: EdgeSettings) -> WishItem:
    """The canonical wish of a WishList PairValue.

    Raises:
        ValueError: a date is malformed or a field too long (the message says which).
    """
    associate = value.get("WishlistAssociate")
    return WishItem(
        customer=str(value.get("WishlistCustKey") or ""),
        item_key=text(value.get("WishlistItemKey")),
        description=str(value.get("WishlistItemDesc") or "").strip(),
        buy_for=text(value.get("WishlistBuyFor")),
        event=text(value.get("WishlistEventDesc")),
        associate=str(associate) if associate else None,
        **{name: parse_day(value.get(edt)) for name, edt in DAYS.items()},
    )


def to_value(
    record: CanonicalRecord, fields: list[str] | None, key: str, settings: EdgeSettings
) -> dict[str, Any]:
    """The WishList fields to import for ``fields`` of a wish (``None``: all)."""
    assert isinstance(record, WishItem)
    wanted = set(fields) if fields is not None else None

    def want(name: str) -> bool:
        return wanted is None or name in wanted

    value: dict[str, Any] = {}
    if want("customer"):
        value["WishlistCustKey"] = value["WishlistCustAccountKey"] = record.customer
    if want("item_key"):
        value["WishlistItemKey"] = record.item_key or ""
    if want("description"):
        value["WishlistItemDesc"] = record.description
    if want("buy_for"):
        value["WishlistBuyFor"] = record.buy_for or ""
    if want("event"):
        value["WishlistEventDesc"] = record.event
    for name, edt in DAYS.items():
        if want(name):
            value[edt] = format_day(getattr(record, name))
    return value


def _removed(settings: EdgeSettings) -> dict[str, Any]:
    """Taking a wish off the list: today's date (store time) as its removal date."""
    return {"WishlistDateRemoved": format_day(dt.datetime.now(settings.zone).date())}


def _associate_number(associate: str | None) -> dict[str, Any]:
    return {"WishlistAssociate": int(associate) if associate and associate.isdigit() else 0}


WISHES = FileKind(
    fields=(
        "customer",
        "item_key",
        "description",
        "buy_for",
        "event",
        "event_date",
        "date_entered",
        "date_bought",
        "associate",
    ),
    entity="wish",
    kind="WishList",
    wrapper="Wishes",
    key_field="WishlistKey",
    read=to_wish,
    write=to_value,
    transfer="WishlistTransfer",
    user_field="WishlistUpdateUser",
    deleted=lambda value: bool(value.get("WishlistDateRemoved")),
    delete_value=_removed,
    on_create=_associate_number,
    kept=("associate",),  # who entered the wish: set by an import that adds it, never changed
)
