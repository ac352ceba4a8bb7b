"""SearchCustomers and ListCustomers of the fake Square: filters, sort, cursor paging.

Follows the ``CustomerQuery`` / ``CustomerFilter`` / ``CustomerSort`` schemas of the spec.
Filters combine as AND. A cursor holds the sort key of the last profile served, so it stays
valid while profiles change.
"""

from __future__ import annotations

import base64
from collections.abc import Callable
from typing import Any

import orjson

from fakes.square.state import SquareError, digits
from fakes.toolkit import parse_time

Profile = dict[str, Any]
Test = Callable[[Profile], bool]


def _text(name: str, spec: Any) -> Test:
    if not isinstance(spec, dict) or ("exact" in spec) == ("fuzzy" in spec):
        raise SquareError(400, "INVALID_VALUE", "set exactly one of exact or fuzzy", name)
    if "exact" in spec:
        wanted = str(spec["exact"])
        if name == "phone_number":
            return lambda p: bool(p.get(name)) and digits(p[name]) == digits(wanted)
        return lambda p: (p.get(name) or "").lower() == wanted.lower()
    tokens = str(spec["fuzzy"]).lower().split()
    if name == "phone_number":
        needle = digits(str(spec["fuzzy"]))
        return lambda p: bool(needle) and needle in digits(p.get(name) or "")
    return lambda p: all(t in (p.get(name) or "").lower() for t in tokens)


def _time(name: str, spec: Any) -> Test:
    if not isinstance(spec, dict):
        raise SquareError(400, "EXPECTED_OBJECT", f"{name} must be a time range", name)
    try:
        start = parse_time(spec["start_at"]) if spec.get("start_at") else None
        end = parse_time(spec["end_at"]) if spec.get("end_at") else None
    except ValueError:
        raise SquareError(400, "INVALID_TIME", f"{name} is not RFC 3339", name) from None

    def test(p: Profile) -> bool:
        moment = parse_time(p[name])
        return (start is None or moment >= start) and (end is None or moment <= end)

    return test


def _members(name: str, spec: Any) -> Test:
    if not isinstance(spec, dict):
        raise SquareError(400, "EXPECTED_OBJECT", f"{name} must be a filter value", name)
    any_of, all_of, none_of = (set(spec.get(k) or []) for k in ("any", "all", "none"))

    def test(p: Profile) -> bool:
        have = set(p.get(name) or [])
        return (not any_of or bool(have & any_of)) and all_of <= have and not (have & none_of)

    return test


def _source(spec: Any) -> Test:
    values = set((spec or {}).get("values") or [])
    include = (spec or {}).get("rule", "INCLUDE") == "INCLUDE"
    return lambda p: (p.get("creation_source") in values) == include


def compile_filter(query: Any) -> Test:
    """One test for a ``CustomerQuery.filter`` (an empty filter passes everything)."""
    tests: list[Test] = []
    for name, spec in ((query or {}).get("filter") or {}).items():
        if spec is None:
            continue  # a null filter is no filter
        if name in ("email_address", "phone_number", "reference_id"):
            tests.append(_text(name, spec))
        elif name in ("created_at", "updated_at"):
            tests.append(_time(name, spec))
        elif name in ("group_ids", "segment_ids"):
            tests.append(_members(name, spec))
        elif name == "creation_source":
            tests.append(_source(spec))
        else:
            raise SquareError(400, "INVALID_VALUE", f"unsupported filter {name}", name)
    return lambda p: all(t(p) for t in tests)


def _key(field: str) -> Callable[[Profile], list[str]]:
    if field == "CREATED_AT":
        return lambda p: [p["created_at"], p["id"]]
    return lambda p: [
        (p.get("given_name") or "").lower(),
        (p.get("family_name") or "").lower(),
        p["id"],
    ]


def page(
    profiles: list[Profile],
    *,
    query: Any = None,
    sort_field: str = "DEFAULT",
    sort_order: str = "ASC",
    cursor: str | None = None,
    limit: int | None = None,
    count: bool = False,
) -> dict[str, Any]:
    """One page of the profiles matching ``query``, as Search/ListCustomers answer it."""
    size = 100 if limit is None else limit
    if size < 1:
        raise SquareError(400, "VALUE_TOO_LOW", "limit must be at least 1", "limit")
    if size > 100:
        raise SquareError(400, "VALUE_TOO_HIGH", "limit must be at most 100", "limit")
    if sort_field not in ("DEFAULT", "CREATED_AT") or sort_order not in ("ASC", "DESC"):
        raise SquareError(400, "INVALID_ENUM_VALUE", "unknown sort", "sort")
    test = compile_filter(query)
    key = _key(sort_field)
    chosen = sorted((p for p in profiles if test(p)), key=key, reverse=sort_order == "DESC")
    start = 0
    if cursor:
        after = _decode(cursor)
        descending = sort_order == "DESC"
        start = next(
            (i for i, p in enumerate(chosen) if (key(p) < after if descending else key(p) > after)),
            len(chosen),
        )
    served = chosen[start : start + size]
    body: dict[str, Any] = {}
    if served:
        body["customers"] = served
    if start + size < len(chosen):
        body["cursor"] = base64.urlsafe_b64encode(orjson.dumps(key(served[-1]))).decode()
    if count:
        body["count"] = len(chosen)
    return body


def _decode(cursor: str) -> list[str]:
    try:
        value = orjson.loads(base64.urlsafe_b64decode(cursor.encode()))
    except Exception:
        raise SquareError(400, "INVALID_CURSOR", "the cursor is not valid", "cursor") from None
    if not isinstance(value, list):
        raise SquareError(400, "INVALID_CURSOR", "the cursor is not valid", "cursor")
    return [str(v) for v in value]
