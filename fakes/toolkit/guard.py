"""A vendor's spec compiled for checking requests: which operation, and what is wrong.

:class:`SpecGuard` compiles an OpenAPI document (a fake's departures applied, see
``fakes.toolkit.openapi``) once: per operation, a JSON Schema validator (``jsonschema_rs``,
the components shared through one registry) for the body and each parameter. Query strings
are read as the spec's types and styles (form lists, deep objects) before they are checked.
The first problem found is a :class:`Problem`, for the fake to refuse in its vendor's words
(``fakes.toolkit.gate`` does it in front of the fake's routes).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl

import jsonschema_rs
import orjson
from starlette.datastructures import Headers

from fakes.toolkit.openapi import Operation, Spec, each_operation, json_schema

_UUID = re.compile(r"^[0-9a-fA-F]{8}-([0-9a-fA-F]{4}-){3}[0-9a-fA-F]{12}$")
_FORMATS = {"uuid": lambda text: bool(_UUID.match(text))}  # a format draft 4 does not have
_BASE = "urn:fake-spec"  # where the spec's components live in the validators' registry
_KINDS = {
    "type": "type",
    "required": "required",
    "enum": "enum",
    "const": "enum",
    "maxLength": "too_long",
    "minLength": "too_short",
    "maximum": "too_high",
    "exclusiveMaximum": "too_high",
    "minimum": "too_low",
    "exclusiveMinimum": "too_low",
    "maxItems": "too_many",
    "minItems": "too_few",
    "pattern": "pattern",
    "additionalProperties": "unknown",
}


@dataclass(frozen=True)
class Problem:
    """What is wrong with a request, for the vendor's refusal to put in its own words.

    ``kind``: ``unauthorized``, ``method`` (``allowed`` lists what the path serves),
    ``json`` (a body that is not JSON), ``required``, ``type`` (``expected`` names the type),
    ``enum``, ``too_long``, ``too_short``, ``too_high``, ``too_low``, ``too_many``,
    ``too_few``, ``pattern``, ``unknown`` (a field the schema does not have), ``invalid``.
    ``where``: ``body``, ``query``, ``path``, ``header`` or ``""``; ``field``: the
    parameter, or the body field as a dotted path (``group.name``, ``clients[0].login``).
    """

    kind: str
    message: str
    where: str = ""
    field: str = ""
    expected: str = ""
    allowed: tuple[str, ...] = ()


@dataclass
class _Param:
    name: str
    where: str
    required: bool
    schema: dict[str, Any]
    validator: Any
    style: str
    explode: bool


@dataclass
class _Operation:
    params: list[_Param]
    body: Any | None  # a validator, when the operation takes a JSON body
    body_required: bool


@dataclass
class SpecGuard:
    """A spec compiled for checking requests: match a path, then check a request."""

    spec: Spec
    prefix: str = ""  # the base path of the spec's server (``/api/admin/v6``)
    _paths: dict[int, list[tuple[re.Pattern[str], str]]] = field(init=False)  # by depth
    _operations: dict[Operation, _Operation] = field(init=False)

    def __post_init__(self) -> None:
        components = json_schema(self.spec.get("components", {}), request=True)
        self._registry = jsonschema_rs.Registry(
            [(_BASE, {"components": components})], draft=jsonschema_rs.Draft4
        )
        self._paths = {}
        for template in sorted(self.spec["paths"], key=lambda t: (t.count("{"), t)):
            pattern = re.sub(r"\\\{(\w+)\\\}", r"(?P<\1>[^/]+)", re.escape(template))
            entry = (re.compile(f"^{pattern}$"), template)  # literal paths first: they win
            self._paths.setdefault(template.count("/"), []).append(entry)
        self._operations = {}
        for method, path, operation in each_operation(self.spec):
            self._operations[(method, path)] = self._compile(path, operation)

    def _validator(self, schema: Any) -> Any:
        rebased = _rebase(json_schema(schema, request=True))
        return jsonschema_rs.Draft4Validator(
            rebased, registry=self._registry, validate_formats=True, formats=_FORMATS
        )

    def _compile(self, path: str, operation: dict[str, Any]) -> _Operation:
        shared = self.spec["paths"][path].get("parameters", [])
        declared = [*shared, *operation.get("parameters", [])]
        params = []
        for param in declared:
            param = self._resolve(param)
            schema = param.get("schema") or {}
            where = param.get("in", "query")
            style = param.get("style") or ("form" if where == "query" else "simple")
            params.append(
                _Param(
                    name=param["name"],
                    where=where,
                    required=bool(param.get("required")) or where == "path",
                    schema=self._resolve(schema),
                    validator=self._validator(schema),
                    style=style,
                    explode=bool(param.get("explode", style == "form")),
                )
            )
        body = None
        required = False
        request_body = self._resolve(operation.get("requestBody") or {})
        content = request_body.get("content") or {}
        media = next((m for m in content if "json" in m), None)
        if media is not None:
            body = self._validator(content[media].get("schema") or {})
            required = bool(request_body.get("required"))
        return _Operation(params, body, required)

    def _resolve(self, node: Any) -> Any:
        while isinstance(node, dict) and "$ref" in node:
            target: Any = self.spec
            for part in node["$ref"].lstrip("#/").split("/"):
                target = target[part]
            node = target
        return node

    def match(self, path: str) -> tuple[str, dict[str, str]] | None:
        """The spec path template ``path`` falls under and its path parameters, if any."""
        for pattern, template in self._paths.get(path.count("/"), ()):
            found = pattern.match(path)
            if found:
                return template, found.groupdict()
        return None

    def documents(self, operation: Operation) -> bool:
        """Whether the spec documents ``operation``."""
        return operation in self._operations

    def has_body(self, operation: Operation) -> bool:
        """Whether the operation takes a JSON body (so the middleware must read it)."""
        compiled = self._operations.get(operation)
        return compiled is not None and compiled.body is not None

    def check(
        self,
        operation: Operation,
        *,
        query: str = "",
        path_params: dict[str, str] | None = None,
        headers: Headers | None = None,
        body: bytes = b"",
    ) -> tuple[Problem | None, Any]:
        """The first problem of a request of ``operation`` (or ``None``), and its parsed body."""
        compiled = self._operations[operation]
        pairs = parse_qsl(query, keep_blank_values=True) if query else []
        for param in compiled.params:
            problem = _check_param(param, pairs, path_params or {}, headers)
            if problem is not None:
                return problem, None
        if compiled.body is None:
            return None, None
        if not body.strip():
            if compiled.body_required:
                return Problem("required", "a JSON body is required", "body"), None
            return None, None
        try:
            data = orjson.loads(body)
        except orjson.JSONDecodeError:
            return Problem("json", "the body is not valid JSON", "body"), None
        return _first_problem(compiled.body, data, "body", ""), data


def _rebase(node: Any) -> Any:
    """``node`` with its local references (``#/components/…``) pointing into the registry."""
    if isinstance(node, dict):
        return {
            k: (
                _BASE + v
                if k == "$ref" and isinstance(v, str) and v.startswith("#")
                else _rebase(v)
            )
            for k, v in node.items()
        }
    if isinstance(node, list):
        return [_rebase(v) for v in node]
    return node


def _check_param(
    param: _Param, pairs: list[tuple[str, str]], path_params: dict[str, str], headers: Any
) -> Problem | None:
    value: Any
    if param.where == "path":
        value = _scalar(path_params.get(param.name, ""), param.schema)
    elif param.where == "header":
        raw = headers.get(param.name) if headers is not None else None
        if raw is None:
            return _missing(param)
        value = _scalar(raw, param.schema)
    elif param.where != "query":
        return None
    elif param.style == "deepObject":
        prefix = f"{param.name}["
        found = {k[len(prefix) : -1]: v for k, v in pairs if k.startswith(prefix) and k[-1] == "]"}
        if not found:
            return _missing(param)
        props = param.schema.get("properties") or {}
        value = {k: _scalar(v, props.get(k) or {}) for k, v in found.items()}
    else:
        raws = [v for k, v in pairs if k == param.name]
        if not raws:
            return _missing(param)
        if _types(param.schema) & {"array"}:
            items = param.schema.get("items") or {}
            # form style: `ids=1,2` (or `ids=1&ids=2` exploded); `ids=` is the empty list
            parts = raws if param.explode else [p for raw in raws if raw for p in raw.split(",")]
            value = [_scalar(p, items) for p in parts]
        elif len(raws) > 1:
            expected = next(iter(_types(param.schema) - {"null"}), "a single value")
            return Problem(
                "type",
                f"{param.name} must be one {expected}, not {len(raws)} values",
                "query",
                param.name,
                expected,
            )
        else:
            value = _scalar(raws[0], param.schema)
    return _first_problem(param.validator, value, param.where, param.name)


def _missing(param: _Param) -> Problem | None:
    if not param.required:
        return None
    return Problem("required", f"{param.name} is required", param.where, param.name)


def _types(schema: dict[str, Any]) -> set[str]:
    kind = schema.get("type")
    return set(kind) if isinstance(kind, list) else {kind} if isinstance(kind, str) else set()


def _scalar(raw: str, schema: dict[str, Any]) -> Any:
    """A parameter's text as the type its schema says; left as text when it is not one."""
    types = _types(schema)
    if "integer" in types and re.fullmatch(r"-?\d+", raw):
        return int(raw)
    if "number" in types:
        try:
            return float(raw)
        except ValueError:
            return raw
    if "boolean" in types and raw in ("true", "false"):
        return raw == "true"
    return raw


def _first_problem(validator: Any, value: Any, where: str, name: str) -> Problem | None:
    if validator.is_valid(value):  # the common case, without building errors
        return None
    for error in validator.iter_errors(value):
        kind = _KINDS.get(error.kind.name, "invalid")
        path = _dotted(name, error.instance_path)
        expected = ""
        if kind == "type":
            types = error.kind.value if isinstance(error.kind.value, list) else [error.kind.value]
            expected = next((str(t) for t in types if t != "null"), "")
        elif kind == "required":
            path = _dotted(path, [error.kind.value])
        elif kind == "unknown":
            path = _dotted(path, [error.kind.value[0]])
        message = _message(kind, path or where, error, expected)
        return Problem(kind, message, where, path, expected)
    return None


def _message(kind: str, name: str, error: Any, expected: str) -> str:
    """One line naming the field and what it must be (never the whole offending value)."""
    limit = getattr(error.kind, "limit", None)
    texts = {
        "unknown": f"unknown field {name}",
        "required": f"{name} is required",
        "type": f"{name} must be of type {expected}",
        "too_long": f"{name} must be a string of at most {limit} characters",
        "too_short": f"{name} must be a string of at least {limit} characters",
        "too_high": f"{name} must be at most {limit}",
        "too_low": f"{name} must be at least {limit}",
        "too_many": f"{name} must hold at most {limit} items",
        "too_few": f"{name} must hold at least {limit} items",
        "pattern": f"{name} must match {getattr(error.kind, 'pattern', 'its pattern')}",
    }
    if kind == "enum":
        options = getattr(error.kind, "options", None) or []
        return f"{name} must be one of {', '.join(str(o) for o in options)}"
    return texts.get(kind) or f"{name}: {str(error.message)[:200]}"


def _dotted(start: str, parts: Iterable[Any]) -> str:
    out = start
    for part in parts:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out = f"{out}.{part}" if out else str(part)
    return out
