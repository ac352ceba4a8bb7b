"""EDT value conventions shared by every file kind: text, days, store-time moments, money."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal, InvalidOperation
from typing import Any

FORMAT = "%m/%d/%Y %H:%M:%S"
CENTS = Decimal("0.01")


def text(value: Any) -> str | None:
    """A trimmed string, ``None`` for empty."""
    if value is None:
        return None
    out = str(value).strip()
    return out or None


def parse_day(value: Any) -> dt.date | None:
    """The day of an EDT date (``mm/dd/yyyy hh:mm:ss``; the time part is ignored)."""
    raw = text(value)
    if raw is None:
        return None
    try:
        return dt.datetime.strptime(raw.split(" ")[0], "%m/%d/%Y").date()
    except ValueError:
        raise ValueError(f"{raw!r} is not an EDT date (mm/dd/yyyy hh:mm:ss)") from None


def format_day(day: dt.date | None) -> str | None:
    """A day as EDT writes it, with a ``00:00:00`` time part."""
    return None if day is None else day.strftime("%m/%d/%Y 00:00:00")


def parse_moment(value: Any, zone: dt.tzinfo) -> dt.datetime | None:
    """An EDT date-time, read in the store's time zone, as UTC."""
    raw = text(value)
    if raw is None:
        return None
    try:
        local = dt.datetime.strptime(raw, FORMAT)
    except ValueError:
        raise ValueError(f"{raw!r} is not an EDT date-time (mm/dd/yyyy hh:mm:ss)") from None
    return local.replace(tzinfo=zone).astimezone(dt.UTC)


def format_moment(moment: dt.datetime | None, zone: dt.tzinfo) -> str | None:
    """A moment as EDT writes it: store time, to the second."""
    if moment is None:
        return None
    aware = moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC)
    return aware.astimezone(zone).strftime(FORMAT)


def money(value: Any) -> Decimal | None:
    """An EDT decimal as an amount with two decimals."""
    if value is None or value == "":
        return None
    try:
        return Decimal(str(value)).quantize(CENTS)
    except InvalidOperation:
        raise ValueError(f"{value!r} is not an amount") from None


def number(value: Decimal | None) -> float | None:
    """An amount as EDT writes it (a JSON number)."""
    return None if value is None else float(value)
