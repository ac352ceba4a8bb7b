"""Sample records the checks create, and how records are compared across systems.

Every canonical entity has a :class:`Kind`: how to make a sample record of it from a tag,
which of its text fields a check may edit, and which rules of ``RULES.md`` give the entity
a direction of its own (CB-8: sales history goes from the POS to the platform only; PD-2:
Podium's customers go both ways or from the POS only). A record that hangs off a customer
(a wish, a note…) names its customer by that system's id: the checks make the customer
first and pass its id in ``refs``.

Two systems hold "the same" record in their own ways: one keeps a label on an e-mail, the
other keeps one e-mail only; one has no acquisition field at all. The checks therefore
compare the *essence* of records: per field, the normalised identity of each list element
(``Customer.item_identity``: the lower-cased e-mail, the E.164 number), and empty values
(``None``, ``""``, ``[]``, ``{}``) as one.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import cache
from typing import Any

from pydantic import TypeAdapter, ValidationError

from framework.models.base import CanonicalRecord, entity_model

Values = dict[str, Any]
SENT_AT = dt.datetime(2026, 11, 20, 15, 4, 5, tzinfo=dt.UTC)


def _title(tag: str) -> str:
    return tag.replace("-", " ").title().replace(" ", "")


def emails(*addresses: str) -> list[dict[str, Any]]:
    """E-mail values in canonical JSON form, the first one preferred."""
    return [
        {"address": a, "label": "Home" if i == 0 else "Other", "preferred": i == 0}
        for i, a in enumerate(addresses)
    ]


def _customer(tag: str) -> Values:
    return {
        "first_name": _title(tag),
        "last_name": "Sample",
        "emails": emails(f"{tag}@example.com"),
    }


def _wish(tag: str) -> Values:
    return {"description": f"Opal pendant {tag}", "buy_for": "Self"}


def _note(tag: str) -> Values:
    return {"text": f"Prefers yellow gold ({tag})"}


def _purchase(tag: str) -> Values:
    return {"sale_key": f"S-{tag}", "line_no": 1, "description": f"Sold {tag}", "amount": "120.00"}


def _service_job(tag: str) -> Values:
    return {
        "job_no": f"R-{tag}",
        "kind": "repair",
        "status": "Not Ready",
        "summary": f"Resize ring {tag}",
        "description": f"Size 6 to 7 ({tag})",
    }


def _product(tag: str) -> Values:
    return {
        "item_key": f"SKU-{tag}",
        "title": f"Opal ring {tag}",
        "description": f"14k gold, opal ({tag})",
        "category": "Rings",
        "vendor": "Stuller",
        "inventory_type": "stock",
        "price": "250.00",
    }


def _message(tag: str) -> Values:
    return {"channel": "email", "subject": f"Hello {tag}", "body": f"Your ring is ready ({tag})"}


def _sms(tag: str) -> Values:
    return {
        "phone": "+12175550199",
        "body": f"Your repair is ready ({tag})",
        "kind": "Repair ready",
    }


def _appointment(tag: str) -> Values:
    return {"starts_at": "2026-12-01T15:00:00Z", "subject": f"Fitting {tag}", "details": tag}


@dataclass(frozen=True)
class Kind:
    """How the suite makes and edits records of one entity.

    Attributes:
        values: a sample's fields for a tag (references to other records left out).
        edits: text fields a check may set to a new value, most telling first; a check
            uses the first ones the subject's system holds.
        rules: the rules that give the entity a direction of its own, each with that
            direction (``("CB-8", "pos_to_platform")``): the direction check cites a rule
            when it runs that direction.
    """

    values: Callable[[str], Values]
    edits: tuple[str, ...]
    rules: tuple[tuple[str, str], ...] = ()


KINDS: dict[str, Kind] = {
    "customer": Kind(
        _customer,
        ("last_name", "first_name", "company"),
        (("PD-2", "both"), ("PD-2", "pos_to_platform")),  # Podium's two customer options
    ),
    "wish": Kind(_wish, ("description", "buy_for", "event"), (("CB-6", "both"),)),
    "note": Kind(_note, ("text",), (("CB-7", "both"),)),
    "purchase": Kind(
        _purchase,
        ("description",),
        (("CB-8", "pos_to_platform"), ("PD-4", "pos_to_platform")),
    ),
    "service_job": Kind(
        _service_job,
        ("summary", "description", "status"),
        (("CB-8", "pos_to_platform"), ("PD-5", "pos_to_platform")),
    ),
    "product": Kind(
        _product,
        ("title", "description", "category"),
        (("CB-10", "pos_to_platform"), ("PD-6", "pos_to_platform")),
    ),
    "message": Kind(_message, ("body", "subject"), (("CB-9", "platform_to_pos"),)),
    "sms_notification": Kind(_sms, ("body", "kind"), (("CB-12", "pos_to_platform"),)),
    "appointment": Kind(_appointment, ("subject", "details"), (("PD-5", "pos_to_platform"),)),
}


def sample(
    entity: str, tag: str, refs: dict[str, str] | None = None, **values: Any
) -> CanonicalRecord:
    """A sample record of ``entity`` for ``tag``.

    ``refs`` fills its references to other records (``{"customer": id}``); ``values``
    override any field.
    """
    model = entity_model(entity)
    base = KINDS[entity].values(tag)
    if entity == "message":
        base["sent_at"] = SENT_AT.isoformat()
    wanted = model.ref_fields()
    base.update({k: v for k, v in (refs or {}).items() if k in wanted})
    return model.model_validate({**base, **values})


def customer(tag: str, **values: Any) -> CanonicalRecord:
    """A customer whose e-mail is ``<tag>@example.com``; ``values`` override any field."""
    return sample("customer", tag, **values)


def references(entity: str) -> dict[str, str]:
    """The fields of ``entity`` that hold ids of other records: field -> entity."""
    return entity_model(entity).ref_fields()


def as_json(record: CanonicalRecord | dict[str, Any] | None) -> dict[str, Any] | None:
    """A record in canonical JSON form."""
    if record is None or isinstance(record, dict):
        return record
    data: dict[str, Any] = record.model_dump(mode="json")
    return data


def essence(entity: str, record: CanonicalRecord | dict[str, Any] | None, field: str) -> Any:
    """What one field of a record *is*, whatever system holds it."""
    data = as_json(record) or {}
    value = data.get(field)
    if value in (None, "", [], {}):
        return None
    if isinstance(value, list):
        model = entity_model(entity)
        return [
            model.item_identity(field, v) if isinstance(v, dict) else v for v in value if v
        ] or None
    if isinstance(value, dict):
        return {k: v for k, v in value.items() if v not in (None, "")} or None
    return _scalar(entity, field, value)


@cache
def _adapter(entity: str, field: str) -> TypeAdapter[Any] | None:
    info = entity_model(entity).model_fields.get(field)
    if info is None or info.annotation is None:
        return None
    return TypeAdapter(info.annotation)


def _scalar(entity: str, field: str, value: Any) -> Any:
    """A value as its field's type holds it.

    ``"120.0"`` and ``"120.00"`` are one amount, ``…Z`` and ``…+00:00`` one instant.
    """
    adapter = _adapter(entity, field)
    if adapter is None:
        return value
    try:
        return adapter.validate_python(value)
    except ValidationError:
        return value


def differences(
    entity: str,
    expected: CanonicalRecord | dict[str, Any] | None,
    actual: CanonicalRecord | dict[str, Any] | None,
    fields: Iterable[str],
) -> list[str]:
    """The fields whose essence differs, each as ``field: expected != actual``."""
    out = []
    for field in fields:
        want, got = essence(entity, expected, field), essence(entity, actual, field)
        if want != got:
            out.append(f"{field}: {want!r} != {got!r}")
    return out


def given_fields(entity: str, record: CanonicalRecord | dict[str, Any]) -> list[str]:
    """The fields a record sets to something (the ones worth comparing)."""
    data = as_json(record) or {}
    return [f for f in data if essence(entity, data, f) is not None]
