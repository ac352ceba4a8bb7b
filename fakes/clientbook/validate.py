"""Field validation for the fake Clientbook's resources (``docs/clientbook-api.md``).

A resource's fields are a spec: name -> a checker that returns the stored value or raises
``ValueError`` saying what is wrong. :func:`validate` turns that into :class:`Invalid`
naming the field, which the routes answer as ``422``.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Iterable
from decimal import Decimal, InvalidOperation
from typing import Any

from fakes.toolkit import iso, parse_time

Checker = Callable[[Any], Any]
_E164 = re.compile(r"^\+[1-9]\d{6,14}$")


class Invalid(Exception):
    """A body the API refuses; ``field`` names the bad field."""

    def __init__(self, message: str, field: str | None = None):
        super().__init__(message)
        self.field = field


class Conflict(Exception):
    """A write that clashes with the current state (answered ``409``)."""


def text(limit: int) -> Checker:
    """A string of at most ``limit`` characters, or ``null``."""

    def check(value: Any) -> Any:
        if value is not None and (not isinstance(value, str) or len(value) > limit):
            raise ValueError(f"must be a string of at most {limit} characters")
        return value

    return check


def one_of(*choices: str) -> Checker:
    """One of ``choices``."""

    def check(value: Any) -> Any:
        if value not in choices:
            raise ValueError(f"must be one of {', '.join(choices)}")
        return value

    return check


def day(value: Any) -> Any:
    """A ``YYYY-MM-DD`` date, or ``null``."""
    if value is None:
        return None
    try:
        return dt.date.fromisoformat(value).isoformat()
    except (TypeError, ValueError):
        raise ValueError("must be a date YYYY-MM-DD") from None


def moment(value: Any) -> Any:
    """An RFC 3339 time (stored in UTC with microseconds), or ``null``."""
    if value is None:
        return None
    try:
        return iso(parse_time(value))
    except (TypeError, ValueError, AttributeError):
        raise ValueError("must be an RFC 3339 time") from None


def money(value: Any) -> Any:
    """A decimal string >= 0, stored with two decimals, or ``null``."""
    if value is None:
        return None
    try:
        number = Decimal(value) if isinstance(value, str) else None
    except InvalidOperation:
        number = None
    if number is None or not number.is_finite() or number < 0:
        raise ValueError("must be a decimal string >= 0")
    return f"{number:.2f}"


def flag(value: Any) -> Any:
    """A boolean."""
    if not isinstance(value, bool):
        raise ValueError("must be true or false")
    return value


def count(value: Any) -> Any:
    """An integer >= 1."""
    if not isinstance(value, int) or isinstance(value, bool) or value < 1:
        raise ValueError("must be an integer >= 1")
    return value


def strings(value: Any) -> Any:
    """A list of strings."""
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ValueError("must be a list of strings")
    return list(value)


def phone(value: Any) -> Any:
    """A phone number in E.164 form."""
    if not isinstance(value, str) or not _E164.match(value):
        raise ValueError("must be a phone number in E.164 form")
    return value


def details(value: Any) -> Any:
    """A JSON object, or ``null``."""
    if value is not None and not isinstance(value, dict):
        raise ValueError("must be an object")
    return value


def identifier(value: Any) -> Any:
    """An id string, or ``null`` (whether it names a record is checked by the resource)."""
    if value is not None and not isinstance(value, str):
        raise ValueError("must be an id")
    return value


def validate(
    body: Any, spec: dict[str, Checker], *, required: Iterable[str] = ()
) -> dict[str, Any]:
    """The fields of ``body`` checked against ``spec``.

    Raises:
        Invalid: not an object, an unknown field, a bad value, or a required field missing.
    """
    if not isinstance(body, dict):
        raise Invalid("body must be a JSON object")
    out: dict[str, Any] = {}
    for name, value in body.items():
        if name not in spec:
            raise Invalid(f"unknown field {name!r}", name)
        try:
            out[name] = spec[name](value)
        except ValueError as exc:
            raise Invalid(f"{name} {exc}", name) from None
    for name in required:
        if out.get(name) in (None, ""):
            raise Invalid(f"{name} is required", name)
    return out
