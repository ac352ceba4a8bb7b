"""Reading one field of a canonical record's JSON, as writes, history and the guard name it."""

from __future__ import annotations

from typing import Any


def field_value(record: dict[str, Any] | None, name: str) -> Any:
    """A field of a canonical record's JSON, ``custom.Key`` for one key of a dict field."""
    if record is None:
        return None
    head, _, key = name.partition(".")
    value = record.get(head)
    return value.get(key) if key and isinstance(value, dict) else value


def empty(value: Any) -> bool:
    """Whether a value holds nothing (``None``, ``""``, ``[]``, ``{}``)."""
    return value is None or value == "" or value == [] or value == {}
