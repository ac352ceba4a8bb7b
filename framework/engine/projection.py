"""Putting both sides of a flow into one naming for the merge, and back for the writes.

The merge compares records in the POS's naming: only the flow's fields, dict keys under
their POS names (a field's ``map``), and ids of referenced records as POS ids. A write to
a side is turned back into that side's naming. A reference that cannot be translated yet
(the parent is not linked, or its id is still pending) raises :class:`Deferred`.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from typing import Any

import orjson

from framework.engine.flows import FlowSpec, Side, other
from framework.engine.policies import get_policy
from framework.models.base import CanonicalRecord
from framework.normalize import text_key

# (entity, from_side, id) -> the id on the other side, or None when not linked (yet)
RefResolver = Callable[[str, Side, str], str | None]


class Deferred(Exception):
    """The record cannot be written yet (its parent is not on the target side yet).

    ``parent`` names the parent (entity, the side its id is of, that id) when it is not
    linked at all, so may never be on the target (out of scope, refused): such a child is
    parked where people see it (``held.py``). Without it the parent is on its way (its
    create is queued): the child waits, staged.
    """

    def __init__(self, message: str, parent: tuple[str, Side, str] | None = None):
        super().__init__(message)
        self.parent = parent


class Projection:
    """Translate one flow's records between each side's naming and the merge naming."""

    def __init__(self, flow: FlowSpec, model: type[CanonicalRecord], resolve: RefResolver):
        self.flow = flow
        self.model = model
        self.resolve = resolve
        self.refs = model.ref_fields()
        self._to_pos_keys = {
            name: {v: k for k, v in rule.map.items()}
            for name, rule in flow.fields.items()
            if rule.map is not None
        }
        self._on_create: dict[Side, list[str]] = {}
        """By source: the fields that travel with a new record (``create_values``)."""

    def merge_view(self, side: Side, record: dict[str, Any] | None) -> dict[str, Any] | None:
        """The record in merge naming, limited to the flow's fields (``None`` stays ``None``)."""
        if record is None:
            return None
        view: dict[str, Any] = {}
        for name in self.flow.fields:
            value = record.get(name)
            rule = self.flow.fields[name]
            if rule.map is not None and isinstance(value, dict):
                if side == "pos":
                    value = {k: v for k, v in value.items() if k in rule.map}
                else:
                    names = self._to_pos_keys[name]
                    value = {names[k]: v for k, v in value.items() if k in names}
            elif name in self.refs and value is not None and side == "platform":
                value = self.resolve(self.refs[name], "platform", value) or f"?{value}"
            view[name] = value
        return view

    def fingerprint(self, side: Side, record: dict[str, Any]) -> str:
        """What a record of ``side`` holds of the flow's fields, normalised, as one key.

        A record the engine created shows up with the same fingerprint whatever the system
        did to labels, case, spacing or order, so it is recognised even with no match key
        (a create a system queued, answering 202 without an id).
        """
        parts: dict[str, Any] = {}
        for name, value in (self.merge_view(side, record) or {}).items():
            if value is None or value == "" or value == [] or value == {}:
                continue
            if isinstance(value, list):
                parts[name] = sorted(repr(self.model.item_identity(name, v)) for v in value)
            elif isinstance(value, dict):
                parts[name] = sorted(
                    (str(k), text_key(str(v))) for k, v in value.items() if v not in (None, "")
                )
            elif isinstance(value, str):
                parts[name] = text_key(value)
            else:
                parts[name] = value
        raw = orjson.dumps(parts, option=orjson.OPT_SORT_KEYS, default=str)
        return hashlib.blake2b(raw, digest_size=12).hexdigest()

    def side_view(self, side: Side, values: dict[str, Any]) -> dict[str, Any]:
        """Merge-named values in ``side``'s naming.

        Raises:
            Deferred: a referenced record is not on ``side`` yet.
        """
        out: dict[str, Any] = {}
        for name, value in values.items():
            rule = self.flow.fields.get(name)
            if rule is not None and rule.map is not None and isinstance(value, dict):
                if side == "platform":
                    value = {rule.map[k]: v for k, v in value.items() if k in rule.map}
            elif name in self.refs and value is not None:
                value = self._ref_on(side, self.refs[name], value)
            out[name] = value
        return out

    def _ref_on(self, side: Side, entity: str, value: str) -> str:
        """A merge-named reference (a POS id) as ``side`` names it.

        Raises:
            Deferred: the referenced record has no id on ``side`` yet: it is not linked
                (``?id`` in the merge view), or its id there is still a placeholder.
        """
        if side == "platform":
            translated = self.resolve(entity, "pos", value)
            if translated is None:
                raise Deferred(f"{entity} {value} is not on the platform", (entity, "pos", value))
            if translated.startswith("~"):
                raise Deferred(f"{entity} {value} is not on the platform yet")
            return translated
        if value.startswith("?"):
            raise Deferred(
                f"{entity} {value[1:]} is not on the POS", (entity, "platform", value[1:])
            )
        if value.startswith("~"):
            raise Deferred(f"{entity} {value} is not on the POS yet")
        return value

    def side_fields(self, side: Side, fields: list[str]) -> list[str]:
        """Changed-field names (``custom.CustomerKey1``) in ``side``'s naming."""
        if side == "pos":
            return list(fields)
        out = []
        for name in fields:
            base, dot, key = name.partition(".")
            rule = self.flow.fields.get(base)
            if dot and rule is not None and rule.map is not None and key in rule.map:
                name = f"{base}.{rule.map[key]}"
            out.append(name)
        return out

    def create_values(self, source: Side, record: dict[str, Any]) -> dict[str, Any]:
        """The merge-named values that travel when ``record`` is created on the other side."""
        names = self._on_create.get(source)
        if names is None:
            names = self._on_create[source] = self._travelling(source)
        view = self.merge_view(source, record) or {}
        return {name: view.get(name) for name in names}

    def _travelling(self, source: Side) -> list[str]:
        """The fields whose values travel when a record of ``source`` is created opposite."""
        target = other(source)
        names: list[str] = []
        for name, rule in self.flow.fields.items():
            # Creation follows the field's own direction; IS-1's update switches do not apply.
            if not (rule.direction or self.flow.direction).allows(source):
                continue
            if get_policy(rule.policy).copies_on_create(target):
                names.append(name)
        return names


def apply_values(current: dict[str, Any], changes: dict[str, Any]) -> dict[str, Any]:
    """``current`` with ``changes`` applied; dict fields change key by key (``None`` drops)."""
    out = dict(current)
    for name, value in changes.items():
        if isinstance(value, dict) and isinstance(out.get(name), dict):
            merged = {**out[name], **value}
            out[name] = {k: v for k, v in merged.items() if v is not None}
        elif isinstance(value, dict):
            out[name] = {k: v for k, v in value.items() if v is not None}
        else:
            out[name] = value
    return out
