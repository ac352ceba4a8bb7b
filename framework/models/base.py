"""The base of every canonical record and the registry of entities.

A canonical record is the shape both sides of a pair agree on for one entity (a customer,
a note, a wish). Connectors translate their system's records to and from it; the engine
merges canonical records field by field. A new entity is a new subclass, registered by name:

    class Note(CanonicalRecord, entity="note"):
        customer: Annotated[str, RefTo("customer")]
        text: str
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Hashable, Iterable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, ClassVar

import orjson
from pydantic import BaseModel, ConfigDict

_ENTITIES: dict[str, type[CanonicalRecord]] = {}
# C0 and C1 control characters but tab, line feed and carriage return: never text (G-5).
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
# Values that hold no text (none is a ``str``): a walk for text passes them over.
_TEXTLESS = frozenset({bool, int, float, Decimal, dt.date, dt.datetime})


def _texts(value: Any, out: list[str]) -> None:
    """Collect every string in ``value`` (models, lists and dicts, keys included).

    Plain text among a container's items is taken in the loop, and what holds none (empty,
    a number, a date) is passed over, without a call for either: a customer holds some
    thirty values, most of them text or empty (issue 17).
    """
    if isinstance(value, str):
        out.append(value)
        return
    if isinstance(value, list):
        items: Iterable[Any] = value
    elif isinstance(value, dict):
        items = (part for pair in value.items() for part in pair)
    elif isinstance(value, BaseModel):
        items = value.__dict__.values()
    else:
        return
    for item in items:
        if not item:
            continue  # None, empty text, an empty list: no text in it
        kind = type(item)
        if kind is str:
            out.append(item)
        elif kind not in _TEXTLESS:
            _texts(item, out)


def check_text(record: BaseModel) -> None:
    """Refuse a record whose text holds control characters (NUL, escape…): it is malformed.

    Raises:
        ValueError: naming the field and the character, e.g. ``last_name: contains a
            control character (U+0000)``.
    """
    texts: list[str] = []
    _texts(record, texts)
    if _CONTROL.search("".join(texts)) is None:  # the common case: one search, no paths
        return
    for name, value in record.__dict__.items():
        _check_text(value, name)


def _check_text(value: Any, where: str) -> None:
    """Refuse control characters anywhere in a record's text (nested models, lists, dicts)."""
    if isinstance(value, str):
        found = _CONTROL.search(value)
        if found:
            raise ValueError(f"{where}: contains a control character (U+{ord(found.group()):04X})")
    elif isinstance(value, BaseModel):
        for name, item in value.__dict__.items():
            _check_text(item, f"{where}.{name}")
    elif isinstance(value, list):
        for n, item in enumerate(value):
            _check_text(item, f"{where}[{n}]")
    elif isinstance(value, dict):
        for key, item in value.items():
            _check_text(key, f"{where} key")
            _check_text(item, f"{where}.{key}")


@dataclass(frozen=True)
class RefTo:
    """Field metadata: the field holds the id of a record of ``entity`` on the same system.

    The engine translates such ids through the links when it writes the record to the
    other side (a note's customer id on Edge becomes that customer's Clientbook id).
    """

    entity: str


class CanonicalRecord(BaseModel):
    """Base class of canonical records; subclasses name their entity as a class keyword."""

    model_config = ConfigDict(extra="forbid", validate_assignment=False)

    entity: ClassVar[str] = ""
    match_key_names: ClassVar[tuple[str, ...]] = ()
    """The names of the keys :meth:`match_keys` gives (what a flow's ``match_on`` may name)."""

    def __init_subclass__(cls, entity: str | None = None, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if entity:
            cls.entity = entity
            _ENTITIES[entity] = cls

    @classmethod
    def item_identity(cls, field: str, item: Any) -> Hashable:
        """Return what makes one element of the list field ``field`` the same element.

        Used by list policies such as ``append_as_new`` (CB-3). The default compares
        whole elements; entities override it to compare normalised values.
        """
        return orjson.dumps(item, option=orjson.OPT_SORT_KEYS)

    def match_keys(self) -> dict[str, list[str]]:
        """Return this record's normalised match keys, by key name (G-3)."""
        return {}

    @classmethod
    def ref_fields(cls) -> dict[str, str]:
        """Return the fields that hold ids of other records: field name -> entity."""
        found: dict[str, str] = {}
        for name, info in cls.model_fields.items():
            for meta in info.metadata:
                if isinstance(meta, RefTo):
                    found[name] = meta.entity
        return found


def entity_model(entity: str) -> type[CanonicalRecord]:
    """Return the canonical model registered for ``entity``.

    Raises:
        KeyError: no model is registered under that name.
    """
    try:
        return _ENTITIES[entity]
    except KeyError:
        known = ", ".join(sorted(_ENTITIES)) or "none"
        raise KeyError(f"unknown entity {entity!r} (known: {known})") from None


def entity_names() -> list[str]:
    """Return the names of all registered entities."""
    return sorted(_ENTITIES)
