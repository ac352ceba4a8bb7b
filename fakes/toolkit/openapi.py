"""A vendor's OpenAPI document as a fake uses it: departures, operations, JSON Schema.

A fake follows its vendor's spec. Where the spec is silent or wrong and the vendor's
documentation says otherwise (an error status the spec leaves out, a limit written only in
prose, a rule no schema can say), the fake follows the documentation and says so in a
:class:`Departure`: an id, the reason, and either the change it makes to the spec or the
refusals of well-formed requests it allows (an unknown cursor, an e-mail address that is
not one). :func:`patched` applies a fake's departures; the result is what the fake
validates requests with (``fakes.toolkit.guard``) and what the fidelity tests hold its
answers to, so each departure is known in one place.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from starlette.routing import BaseRoute, Route

METHODS = ("get", "put", "post", "delete", "patch")
Operation = tuple[str, str]  # ("POST", "/v2/customers"): a method and a path template
Spec = dict[str, Any]


@dataclass(frozen=True)
class Departure:
    """Where a fake parts from its vendor's spec, why, and what that changes.

    ``change`` edits the spec; ``refusals`` are ``(operation, code)`` pairs: the vendor's
    error codes with which that operation (``"POST /v2/customers"``, or ``"*"`` for every
    one) may refuse a request the spec calls well formed.
    """

    id: str
    reason: str
    change: Callable[[Spec], None] | None = None
    refusals: frozenset[tuple[str, str]] = frozenset()


def patched(spec: Spec, departures: Iterable[Departure]) -> Spec:
    """A copy of ``spec`` with each departure's change applied."""
    out = copy.deepcopy(spec)
    for departure in departures:
        if departure.change is not None:
            departure.change(out)
    return out


def operations(spec: Spec) -> set[Operation]:
    """Every operation of ``spec``."""
    return {(m.upper(), p) for p, item in spec["paths"].items() for m in item if m in METHODS}


def restricted(spec: Spec, keep: Iterable[Operation]) -> Spec:
    """A copy of ``spec`` with only the operations in ``keep`` (and the paths that have one)."""
    wanted = set(keep)
    out = copy.deepcopy(spec)
    paths: dict[str, Any] = {}
    for path, item in out["paths"].items():
        kept = {k: v for k, v in item.items() if k not in METHODS or (k.upper(), path) in wanted}
        if any(k in METHODS for k in kept):
            paths[path] = kept
    out["paths"] = paths
    return out


def routed(routes: Iterable[BaseRoute], prefix: str = "") -> set[Operation]:
    """The operations a fake's routes serve, as spec paths (``prefix`` removed).

    The toolkit's ``/_fake/`` routes and ``HEAD`` (Starlette adds it to ``GET``) are left out.
    """
    found: set[Operation] = set()
    for route in routes:
        if not isinstance(route, Route) or not route.path.startswith(prefix):
            continue
        path = re.sub(r"\{(\w+)(:\w+)?\}", r"{\1}", route.path[len(prefix) :])
        if path.startswith("/_fake/"):
            continue
        found |= {(m, path) for m in route.methods or () if m != "HEAD"}
    return found


def each_operation(spec: Spec) -> Iterable[tuple[str, str, dict[str, Any]]]:
    """``(METHOD, path, operation object)`` of every operation."""
    for path, item in spec["paths"].items():
        for method, operation in item.items():
            if method in METHODS:
                yield method.upper(), path, operation


def add_responses(spec: Spec, statuses: dict[str, Any], where: Callable[[str, str], bool]) -> None:
    """Add responses (status -> response object) to the operations ``where(METHOD, path)``.

    A status the operation already documents is left as the spec has it.
    """
    for method, path, operation in each_operation(spec):
        if where(method, path):
            responses = operation.setdefault("responses", {})
            for status, response in statuses.items():
                responses.setdefault(status, copy.deepcopy(response))


def bound_integers(node: Any) -> None:
    """Give every integer schema without a ``format`` the ``int64`` one (its range)."""
    if isinstance(node, dict):
        if node.get("type") == "integer":
            node.setdefault("format", "int64")
        for value in node.values():
            bound_integers(value)
    elif isinstance(node, list):
        for value in node:
            bound_integers(value)


def nullable_optionals(node: Any) -> None:
    """Make every property an object does not require nullable (``null``: not set)."""
    if isinstance(node, dict):
        required = set(node.get("required") or ())
        for name, prop in (node.get("properties") or {}).items():
            if isinstance(prop, dict) and name not in required and not prop.get("readOnly"):
                if "$ref" in prop:
                    prop["nullable"] = True  # OpenAPI 3.0 ignores siblings of $ref: wrap it
                    prop["allOf"] = [{"$ref": prop.pop("$ref")}]
                else:
                    prop["nullable"] = True
        for value in node.values():
            nullable_optionals(value)
    elif isinstance(node, list):
        for value in node:
            nullable_optionals(value)


def parameter(spec: Spec, method: str, path: str, name: str) -> dict[str, Any]:
    """The parameter object ``name`` of one operation (its schema is what to change)."""
    operation = spec["paths"][path][method.lower()]
    for param in operation.get("parameters", []):
        if param.get("name") == name:
            found: dict[str, Any] = param
            return found
    raise KeyError(f"{method} {path} has no parameter {name}")


INTEGER_RANGES = {"int32": (-(2**31), 2**31 - 1), "int64": (-(2**63), 2**63 - 1)}


def json_schema(schema: Any, *, request: bool) -> Any:
    """An OpenAPI 3.0 schema object as JSON Schema (draft 4).

    ``nullable`` becomes a ``null`` type; in a request, ``readOnly`` properties are dropped
    (a client does not send them), in a response ``writeOnly`` ones; an ``int32`` or
    ``int64`` integer is bounded by its size. ``$ref`` is kept.
    """
    if isinstance(schema, list):
        return [json_schema(item, request=request) for item in schema]
    if not isinstance(schema, dict):
        return schema
    out = {
        key: json_schema(value, request=request)
        for key, value in schema.items()
        if key not in ("nullable", "example", "examples", "discriminator", "xml", "externalDocs")
        and not key.startswith("x-")
    }
    if "properties" in schema:
        hidden = "readOnly" if request else "writeOnly"
        props = {
            name: json_schema(value, request=request)
            for name, value in schema["properties"].items()
            if not (isinstance(value, dict) and value.get(hidden))
        }
        out["properties"] = props
        if "required" in schema:
            out["required"] = [n for n in schema["required"] if n in props]
            if not out["required"]:
                del out["required"]
    if schema.get("type") == "integer" and schema.get("format") in INTEGER_RANGES:
        low, high = INTEGER_RANGES[schema["format"]]
        out.setdefault("minimum", low)
        out.setdefault("maximum", high)
    if schema.get("nullable"):
        if "type" in out:
            types = out["type"] if isinstance(out["type"], list) else [out["type"]]
            out["type"] = [*types, "null"]
        if "enum" in out:
            out["enum"] = [*out["enum"], None]
        if "$ref" in out or "allOf" in out or "oneOf" in out or "anyOf" in out:
            out = {"anyOf": [out, {"type": "null"}]}
    return out


def allowed_refusals(departures: Iterable[Departure], operation: str) -> set[str]:
    """The error codes with which ``operation`` (``"POST /v2/customers"``) may refuse."""
    return {code for d in departures for (where, code) in d.refusals if where in ("*", operation)}
