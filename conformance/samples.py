"""Sample records the checks create, and how records are compared across systems.

Two systems hold "the same" record in their own ways: one keeps a label on an e-mail, the
other keeps one e-mail only; one has no acquisition field at all. The checks therefore
compare the *essence* of records: per field, the normalised identity of each list element
(``Customer.item_identity``: the lower-cased e-mail, the E.164 number), and empty values
(``None``, ``""``, ``[]``, ``{}``) as one.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from framework.models import Customer
from framework.models.base import CanonicalRecord, entity_model

Sample = Callable[..., CanonicalRecord]


def customer(tag: str, **values: Any) -> Customer:
    """A customer whose e-mail is ``<tag>@example.com``; ``values`` override any field."""
    base: dict[str, Any] = {
        "first_name": tag.replace("-", " ").title().replace(" ", ""),
        "last_name": "Sample",
        "emails": [{"address": f"{tag}@example.com", "label": "Home", "preferred": True}],
    }
    return Customer.model_validate({**base, **values})


SAMPLES: dict[str, Sample] = {"customer": customer}


def emails(*addresses: str) -> list[dict[str, Any]]:
    """E-mail values in canonical JSON form, the first one preferred."""
    return [
        {"address": a, "label": "Home" if i == 0 else "Other", "preferred": i == 0}
        for i, a in enumerate(addresses)
    ]


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
