"""The fake IdoSell's contract: the operations it serves, where it departs from the spec, why.

``OPERATIONS`` are the spec operations the fake routes (paths without the ``/api/admin/v6``
base path); ``DEPARTURES`` are listed in ``docs/idosell-api.md``; ``spec()`` is the spec
with them applied, which the fake checks requests with and the fidelity tests hold it to.
"""

from __future__ import annotations

from functools import cache
from typing import Any

import orjson
from starlette.responses import Response

from fakes import specs
from fakes.toolkit import Departure, Problem, SpecGuard, patched
from fakes.toolkit.openapi import Spec, bound_integers, parameter

PREFIX = "/api/admin/v6"
OPERATIONS = frozenset(
    {
        ("GET", "/clients/clients"),
        ("POST", "/clients/clients"),
        ("PUT", "/clients/clients"),
        ("GET", "/clients/deliveryAddress"),
        ("POST", "/clients/deliveryAddress"),
        ("PUT", "/clients/externalCode"),
        ("GET", "/discounts/groups"),
        ("GET", "/system/shopsData"),
    }
)
MODELLED: frozenset[tuple[str, str]] = frozenset()


def _pages(spec: Spec) -> None:
    for path in ("/clients/clients", "/discounts/groups"):
        parameter(spec, "GET", path, "resultsPage")["schema"]["minimum"] = 0
        parameter(spec, "GET", path, "resultsLimit")["schema"].update(minimum=1, maximum=100)


DEPARTURES = (
    Departure(
        "result-pages",
        "The descriptions of `resultsPage` (numbered from 0) and `resultsLimit` (1 to 100)"
        " give ranges the schemas leave out; outside them the request is refused (422).",
        _pages,
    ),
    Departure(
        "64-bit-integers",
        "Integers have no `format`; numbers past 64 bits cannot be read, so every integer"
        " without a format is read as `int64` and a larger one refused (422).",
        bound_integers,
    ),
    Departure(
        "empty-lists",
        "A write without items (`params.clients` missing or empty, or no `params`) is"
        " refused as a whole: 422 with faultCode 3, 'No parameters were received' (the"
        " message IdoSell's panel gives); the schemas do not require them.",
        refusals=frozenset(
            {
                ("POST /clients/clients", "3"),
                ("PUT /clients/clients", "3"),
                ("POST /clients/deliveryAddress", "3"),
                ("PUT /clients/externalCode", "3"),
            }
        ),
    ),
)


@cache
def spec() -> dict[str, Any]:
    """IdoSell's spec with the fake's departures applied (cached: treat it as read-only)."""
    data = patched(specs.load("idosell"), DEPARTURES)
    return data


@cache
def guard() -> SpecGuard:
    """The compiled spec the fake checks requests with."""
    return SpecGuard(spec(), prefix=PREFIX)


def whole(status: int, code: int, text: str, headers: dict[str, str] | None = None) -> Response:
    """An error of the whole request, in IdoSell's shape."""
    body = orjson.dumps({"errors": {"faultCode": code, "faultString": text}})
    return Response(body, status_code=status, media_type="application/json", headers=headers)


def refuse(problem: Problem) -> Response:
    """A refused request as IdoSell answers it (``errors.faultCode``, ``faultString``)."""
    if problem.kind == "unauthorized":
        return whole(401, 1, "Authorization error: missing or invalid X-API-KEY")
    if problem.kind == "method":
        allowed = ", ".join(problem.allowed)
        return whole(405, 4, f"Method not allowed: {allowed}", {"allow": allowed})
    return whole(422, 3, f"Invalid data format: {problem.message}")


def error_code(body: Any) -> str | None:
    """The fault code of an IdoSell error of the whole request."""
    try:
        return str(body["errors"]["faultCode"])
    except (KeyError, TypeError):
        return None
