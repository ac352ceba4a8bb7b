"""Where each value of merged Square profiles goes (SQ-2): the plan, before anything is sent.

A profile holds one e-mail, one phone, one address and one note. A merge keeps every one of
each, of every profile merged: the survivor's own field holds the first (its own, else the
first other's), every further distinct value goes into a customer custom attribute of the
survivor of the matching Square type (``merged-email-1``: Email, ``merged-phone-1``:
PhoneNumber, ``merged-address-1``: Address, ``merged-note-1``: String), numbered from the
first free slot. Values already held (the same e-mail in another case, the same number
written otherwise) are not written twice. The others' custom attributes go to the survivor
too: ours as values of their kind, anyone else's under the same key when the survivor has
none, else as a note. Every value is reported with where it is now (``Placement``).
"""

from __future__ import annotations

from collections.abc import Callable, Hashable
from dataclasses import dataclass, field
from typing import Any

from framework.normalize import email_key, phone_e164, text_key

PREFIX = "merged-"


@dataclass(frozen=True)
class Kind:
    """One kind of value a profile holds once: its canonical field and its Square homes."""

    field: str
    own: str
    type: str
    label: str
    slot: str

    def key(self, n: int) -> str:
        """The custom attribute key of slot ``n``."""
        return f"{PREFIX}{self.slot}-{n}"


EMAIL = Kind("emails", "email_address", "Email", "e-mail", "email")
PHONE = Kind("phones", "phone_number", "PhoneNumber", "phone", "phone")
ADDRESS = Kind("addresses", "address", "Address", "address", "address")
NOTE = Kind("notes", "note", "String", "note", "note")
KINDS = (EMAIL, PHONE, ADDRESS, NOTE)
_ADDRESS_PARTS = ("address_line_1", "address_line_2", "locality", "postal_code")
# Square's Address, as a profile's address and an Address custom attribute hold it.
ADDRESS_PARTS = (
    "address_line_1",
    "address_line_2",
    "address_line_3",
    "locality",
    "sublocality",
    "administrative_district_level_1",
    "administrative_district_level_2",
    "postal_code",
    "country",
    "first_name",
    "last_name",
)


@dataclass(frozen=True)
class Placement:
    """Where one value of a merged profile is held after the merge."""

    field: str
    value: str
    source: str
    place: str


@dataclass
class Plan:
    """What to write to the survivor, and where every value went."""

    fields: dict[str, Any] = field(default_factory=dict)
    attributes: dict[str, tuple[Kind | None, Any]] = field(default_factory=dict)
    placements: list[Placement] = field(default_factory=list)

    def definitions(self) -> dict[str, Kind]:
        """The keys of our slots this plan writes, with their kind (their definitions)."""
        return {k: kind for k, (kind, _) in self.attributes.items() if kind is not None}


Profile = dict[str, Any]
Attributes = dict[str, Any]  # key -> value


def plan(
    survivor: Profile,
    others: list[Profile],
    attributes: dict[str, Attributes],
    region: str,
) -> Plan:
    """The plan merging ``others`` into ``survivor`` (``attributes``: each profile's values)."""
    result = Plan()
    held_attrs = dict(attributes.get(survivor["id"], {}))
    for kind in KINDS:
        _place_kind(result, kind, survivor, others, attributes, held_attrs, region)
    _place_foreign(result, survivor, others, attributes, held_attrs)
    return result


def _place_kind(
    result: Plan,
    kind: Kind,
    survivor: Profile,
    others: list[Profile],
    attributes: dict[str, Attributes],
    held_attrs: Attributes,
    region: str,
) -> None:
    identity = _identity(kind, region)
    places: dict[Hashable, str] = {}

    def place(value: Any, source: str, where: str) -> None:
        places.setdefault(identity(value), where)
        result.placements.append(Placement(kind.field, _shown(value), source, where))

    own = survivor.get(kind.own)
    if own:
        place(own, survivor["id"], kind.own)
    for key, value in _slots(kind, held_attrs):
        if identity(value) in places:
            result.placements.append(
                Placement(kind.field, _shown(value), survivor["id"], places[identity(value)])
            )
        else:
            place(value, survivor["id"], f"custom attribute {key}")
    for other in others:
        candidates = [
            other.get(kind.own),
            *(v for _, v in _slots(kind, attributes.get(other["id"], {}))),
        ]
        for value in filter(None, candidates):
            where = places.get(identity(value))
            if where is None and kind.own not in result.fields and not own:
                result.fields[kind.own] = value
                own = value
                where = kind.own
            elif where is None:
                slot_kind, stored = _typed(kind, value, region)
                key = _free(slot_kind, held_attrs)
                held_attrs[key] = stored
                result.attributes[key] = (slot_kind, stored)
                where = f"custom attribute {key}"
            place(value, other["id"], where)


def _place_foreign(
    result: Plan,
    survivor: Profile,
    others: list[Profile],
    attributes: dict[str, Attributes],
    held_attrs: Attributes,
) -> None:
    """The others' custom attributes that are not our slots: same key, else as a note."""
    for other in others:
        for key, value in attributes.get(other["id"], {}).items():
            if key.startswith(PREFIX):
                continue
            if key not in held_attrs:
                held_attrs[key] = value
                result.attributes[key] = (None, value)
                where = f"custom attribute {key}"
            elif held_attrs[key] == value:
                where = f"custom attribute {key}"
            else:
                slot = _free(NOTE, held_attrs)
                held_attrs[slot] = f"{key}: {_shown(value)}"
                result.attributes[slot] = (NOTE, held_attrs[slot])
                where = f"custom attribute {slot}"
            result.placements.append(Placement(key, _shown(value), other["id"], where))


def _slots(kind: Kind, held: Attributes) -> list[tuple[str, Any]]:
    """A profile's values in our slots of ``kind``, in slot order."""
    found = []
    for key, value in held.items():
        number = key.removeprefix(f"{PREFIX}{kind.slot}-")
        if number != key and number.isdigit() and value:
            found.append((int(number), key, value))
    return [(key, value) for _, key, value in sorted(found)]


def _typed(kind: Kind, value: Any, region: str) -> tuple[Kind, Any]:
    """The slot kind and value a custom attribute of Square's type takes for ``value``.

    A PhoneNumber is E.164; a number that is not one, or an address with parts Square's
    Address does not have, is kept as text in a note slot rather than refused.
    """
    if kind is PHONE:
        try:
            return PHONE, phone_e164(value, region)
        except ValueError:
            return NOTE, f"phone: {value}"
    if kind is EMAIL:
        return EMAIL, str(value).strip()
    if kind is ADDRESS:
        parts = {k: v for k, v in value.items() if isinstance(v, str) and v}
        if set(parts) - set(ADDRESS_PARTS):
            return NOTE, f"address: {_shown(value)}"
        return ADDRESS, parts
    return kind, value


def _free(kind: Kind, held: Attributes) -> str:
    n = 1
    while kind.key(n) in held:
        n += 1
    return kind.key(n)


def _identity(kind: Kind, region: str) -> Callable[[Any], Hashable]:
    if kind is EMAIL:
        return lambda value: _safe(email_key, value)
    if kind is PHONE:
        return lambda value: _safe(lambda v: phone_e164(v, region), value)
    if kind is ADDRESS:
        return lambda value: tuple(text_key(str(value.get(p) or "")) for p in _ADDRESS_PARTS)
    return lambda value: text_key(str(value))


def _safe(normalise: Callable[[str], str], value: str) -> str:
    try:
        return normalise(value)
    except ValueError:
        return text_key(value)


def _shown(value: Any) -> str:
    """A value as the report shows it, on one line."""
    if isinstance(value, dict):
        return ", ".join(str(v) for v in value.values() if v)
    return " ".join(str(value).split())
