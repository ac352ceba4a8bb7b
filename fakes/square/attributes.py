"""Customer custom attributes and their definitions, as Square's Customer Custom Attributes API.

From the spec (``CustomAttributeDefinition``, ``CustomAttribute``): a definition has a
``key`` (up to 60 of ``[a-zA-Z0-9._-]``), a ``schema`` (a ``$ref`` to one of Square's
published types on its CDN), a ``name`` and a ``description`` (both required unless the
``visibility`` is ``VISIBILITY_HIDDEN``; the name unique among the seller's definitions)
and a ``version`` (1 when created, +1 per update). A value belongs to one customer and one
definition, is checked against the definition's type on every write, carries a copy of the
definition's visibility and its own ``version``; deleting the definition or the customer
deletes its values. Types the fake checks: String, Email, PhoneNumber (E.164), Address
(Square's ``Address`` fields), Number (a decimal string), Boolean and Date (``YYYY-MM-DD``);
Selection is not modelled (refused).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

from fakes.square.shapes import ADDRESS_FIELDS, EMAIL, SquareError
from fakes.toolkit import Clock, iso

SCHEMA_BASE = "https://developer-production-s.squarecdn.com/schemas/v1/common.json#squareup.common."
TYPES = ("String", "Email", "PhoneNumber", "Address", "Number", "Boolean", "Date")
VISIBILITIES = ("VISIBILITY_HIDDEN", "VISIBILITY_READ_ONLY", "VISIBILITY_READ_WRITE_VALUES")
KEY = re.compile(r"^([a-zA-Z0-9._-]+:)?[a-zA-Z0-9._-]{1,60}$")
_E164 = re.compile(r"^\+[1-9]\d{6,14}$")
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
DEFINITION_FIELDS = ("key", "schema", "name", "description", "visibility", "version")


def _refused(detail: str, where: str, code: str = "INVALID_VALUE") -> SquareError:
    return SquareError(400, code, detail, where)


@dataclass
class CustomAttributes:
    """The seller's customer custom attribute definitions and every customer's values."""

    clock: Clock
    definitions: dict[str, dict[str, Any]] = field(default_factory=dict)
    values: dict[tuple[str, str], dict[str, Any]] = field(default_factory=dict)

    def clear(self) -> None:
        """Forget every definition and value."""
        self.definitions.clear()
        self.values.clear()

    # -- definitions ------------------------------------------------------------------------

    def create_definition(self, body: Any) -> dict[str, Any]:
        """A new definition from ``custom_attribute_definition``; returns it."""
        where = "custom_attribute_definition"
        data = self._definition_body(body, where)
        key = data.get("key")
        if not isinstance(key, str) or not KEY.match(key) or ":" in key:
            raise _refused("key must be 1 to 60 of a-z, A-Z, 0-9, '.', '_', '-'", f"{where}.key")
        if key in self.definitions:
            raise SquareError(
                409, "CONFLICT", f"a definition with key {key!r} exists", f"{where}.key"
            )
        if "schema" not in data:
            raise SquareError(400, "MISSING_REQUIRED_PARAMETER", "schema is required", where)
        now = iso(self.clock.now())
        definition = {"visibility": "VISIBILITY_HIDDEN", **data, "version": 1}
        self._check(definition, where, key)
        definition.update(created_at=now, updated_at=now)
        self.definitions[key] = definition
        return dict(definition)

    def definition(self, key: str) -> dict[str, Any]:
        """One definition.

        Raises:
            SquareError: 404 when there is none with that key.
        """
        found = self.definitions.get(key)
        if found is None:
            raise SquareError(404, "NOT_FOUND", f"Custom attribute definition {key} not found.")
        return dict(found)

    def update_definition(self, key: str, body: Any) -> dict[str, Any]:
        """A sparse update of the name, description, schema or visibility."""
        where = "custom_attribute_definition"
        stored = self.definitions.get(key)
        if stored is None:
            raise SquareError(404, "NOT_FOUND", f"Custom attribute definition {key} not found.")
        data = self._definition_body(body, where)
        version = data.pop("version", None)
        if version is not None and version != stored["version"]:
            raise SquareError(409, "CONFLICT", "version mismatch", f"{where}.version")
        if data.get("key", key) != key:
            raise _refused("key cannot be changed", f"{where}.key")
        merged = {**stored, **data, "version": stored["version"] + 1}
        self._check(merged, where, key)
        merged["updated_at"] = iso(self.clock.now())
        self.definitions[key] = merged
        return dict(merged)

    def delete_definition(self, key: str) -> None:
        """Delete a definition and every value of it."""
        self.definition(key)
        del self.definitions[key]
        for held in [k for k in self.values if k[1] == key]:
            del self.values[held]

    def listed_definitions(self) -> list[dict[str, Any]]:
        """Every definition, oldest first."""
        return [dict(d) for d in self.definitions.values()]

    @staticmethod
    def _definition_body(body: Any, where: str) -> dict[str, Any]:
        data = body.get(where) if isinstance(body, dict) else None
        if not isinstance(data, dict):
            raise SquareError(400, "MISSING_REQUIRED_PARAMETER", f"{where} is required", where)
        unknown = sorted(set(data) - set(DEFINITION_FIELDS) - {"created_at", "updated_at"})
        if unknown:
            raise SquareError(
                400,
                "UNKNOWN_BODY_PARAMETER",
                f"unknown field {unknown[0]}",
                f"{where}.{unknown[0]}",
            )
        return {k: v for k, v in data.items() if k not in ("created_at", "updated_at")}

    def _check(self, definition: dict[str, Any], where: str, key: str) -> None:
        type_of(definition.get("schema"), f"{where}.schema")
        if definition["visibility"] not in VISIBILITIES:
            raise _refused(f"visibility must be one of {', '.join(VISIBILITIES)}", where)
        shown = definition["visibility"] != "VISIBILITY_HIDDEN"
        for name in ("name", "description"):
            value = definition.get(name)
            if value is not None and (not isinstance(value, str) or len(value) > 255):
                raise SquareError(
                    400, "VALUE_TOO_LONG", f"{name} is longer than 255", f"{where}.{name}"
                )
            if shown and not value:
                raise SquareError(
                    400,
                    "MISSING_REQUIRED_PARAMETER",
                    f"{name} is required for a visible definition",
                    f"{where}.{name}",
                )
        named = definition.get("name")
        if named and any(d.get("name") == named and k != key for k, d in self.definitions.items()):
            raise SquareError(409, "CONFLICT", f"a definition is named {named!r}", f"{where}.name")

    # -- values -----------------------------------------------------------------------------

    def upsert(
        self, customer_id: str, key: str, body: Any, where: str = "custom_attribute"
    ) -> dict[str, Any]:
        """Set one customer's value of a definition (checked against its type)."""
        if not isinstance(body, dict):
            raise SquareError(400, "MISSING_REQUIRED_PARAMETER", f"{where} is required", where)
        definition = self.definitions.get(key)
        if definition is None:
            raise SquareError(404, "NOT_FOUND", f"Custom attribute definition {key} not found.")
        if body.get("key") not in (None, key):
            raise _refused("key does not match the path", f"{where}.key")
        if "value" not in body or body["value"] is None:
            raise SquareError(
                400, "MISSING_REQUIRED_PARAMETER", "value is required", f"{where}.value"
            )
        value = checked_value(
            type_of(definition["schema"], "schema"), body["value"], f"{where}.value"
        )
        held = self.values.get((customer_id, key))
        version = body.get("version")
        if held is not None and version is not None and version != held["version"]:
            raise SquareError(409, "CONFLICT", "version mismatch", f"{where}.version")
        now = iso(self.clock.now())
        stored = {
            "key": key,
            "value": value,
            "version": held["version"] + 1 if held else 1,
            "visibility": definition["visibility"],
            "created_at": held["created_at"] if held else now,
            "updated_at": now,
        }
        self.values[(customer_id, key)] = stored
        return dict(stored)

    def value(self, customer_id: str, key: str, with_definition: bool = False) -> dict[str, Any]:
        """One customer's value of a definition.

        Raises:
            SquareError: 404 when the customer holds none.
        """
        held = self.values.get((customer_id, key))
        if held is None:
            raise SquareError(404, "NOT_FOUND", f"Custom attribute {key} not found.")
        return self._shown(held, with_definition)

    def delete_value(self, customer_id: str, key: str) -> None:
        """Remove one customer's value of a definition."""
        self.value(customer_id, key)
        del self.values[(customer_id, key)]

    def of(self, customer_id: str, with_definitions: bool = False) -> list[dict[str, Any]]:
        """A customer's values, in the order they were first set."""
        return [
            self._shown(v, with_definitions)
            for (owner, _), v in self.values.items()
            if owner == customer_id
        ]

    def forget(self, customer_id: str) -> None:
        """A customer is deleted: so are its values."""
        for held in [k for k in self.values if k[0] == customer_id]:
            del self.values[held]

    def _shown(self, held: dict[str, Any], with_definition: bool) -> dict[str, Any]:
        shown = dict(held)
        if with_definition:
            shown["definition"] = dict(self.definitions[held["key"]])
        return shown


def type_of(schema: Any, where: str) -> str:
    """The Square type a definition's ``schema`` names (``{"$ref": "...#squareup.common.X"}``)."""
    ref = schema.get("$ref") if isinstance(schema, dict) else None
    name = ref.removeprefix(SCHEMA_BASE) if isinstance(ref, str) else None
    if not isinstance(ref, str) or not ref.startswith(SCHEMA_BASE) or name not in TYPES:
        raise _refused(f"schema must be a $ref to one of Square's types {', '.join(TYPES)}", where)
    return name


def checked_value(kind: str, value: Any, where: str) -> Any:
    """``value`` if it is a value of the Square type ``kind``; else a 400 naming ``where``."""
    ok = {
        "String": isinstance(value, str),
        "Email": isinstance(value, str) and bool(EMAIL.match(value)) and len(value) <= 254,
        "PhoneNumber": isinstance(value, str) and bool(_E164.match(value)),
        "Boolean": isinstance(value, bool),
        "Date": isinstance(value, str) and bool(_DATE.match(value)),
        "Number": _decimal(value),
        "Address": isinstance(value, dict)
        and not set(value) - set(ADDRESS_FIELDS)
        and all(isinstance(v, str) for v in value.values()),
    }[kind]
    if not ok:
        raise _refused(f"the value is not a valid {kind}", where)
    return value


def _decimal(value: Any) -> bool:
    if not isinstance(value, str):
        return False
    try:
        Decimal(value)
    except InvalidOperation:
        return False
    return True
