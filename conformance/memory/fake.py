"""The memory reference system's fake: canonical records in memory, as ``docs/memory-api.md`` says.

Written from that page, never from the memory connector. A test (or a driver) changes
records directly through :class:`MemoryState` as a user of the system would; the engine
reaches it over HTTP through the app :func:`make_app` builds.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any
from zoneinfo import ZoneInfo

from pydantic import ValidationError
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from fakes.toolkit import Clock, FaultState, FeedStore, build_app, json_response, read_json
from fakes.toolkit import parse_time as parse_query_time
from framework.errors import describe
from framework.models.base import entity_model, entity_names
from framework.normalize import email_key, phone_e164

MAX_LIMIT = 500
USERS = ({"id": "u_mapped", "pos_id": "12"}, {"id": "u_unmapped", "pos_id": None})


class Invalid(Exception):
    """A record the system refuses."""


@dataclass
class MemoryState:
    """Everything one memory system holds: a feed store per entity, users, idempotency keys."""

    api_key: str | None = None
    zone: dt.tzinfo = dt.UTC
    clock: Clock = field(default_factory=Clock)
    associates: list[dict[str, Any]] = field(default_factory=lambda: [dict(u) for u in USERS])
    idempotency: dict[str, dict[str, Any]] = field(default_factory=dict)
    stores: dict[str, FeedStore] = field(default_factory=dict)

    def store(self, entity: str) -> FeedStore:
        """The records of ``entity`` (``KeyError`` for an entity the model does not know)."""
        if entity not in self.stores:
            entity_model(entity)
            self.stores[entity] = FeedStore(self.clock, f"{entity}-")
        return self.stores[entity]

    def set_zone(self, name: str) -> None:
        """Answer times in the time zone ``name`` (an IANA name such as ``Europe/Warsaw``)."""
        self.zone = ZoneInfo(name)

    def create(
        self,
        entity: str,
        data: Any,
        user: str | None = None,
        associate: str | None = None,
        code: str | None = None,
    ) -> dict[str, Any]:
        """Validate and store a new record (with its shared code, when it has one)."""
        clean = validated(entity, data)
        return self.store(entity).create(
            {"data": clean, "associate": associate, "code": code}, user
        )

    def set_code(
        self, entity: str, record_id: str, code: str | None, user: str | None = None
    ) -> None:
        """Change a live record's shared code (``KeyError`` when none)."""
        self.store(entity).update(record_id, {"code": code}, user)

    def update(
        self,
        entity: str,
        record_id: str,
        data: Any,
        user: str | None = None,
        associate: str | None = None,
    ) -> dict[str, Any]:
        """Replace the given top-level fields of a live record (``KeyError`` when none)."""
        current = self.store(entity).get(record_id)
        if not isinstance(data, dict):
            raise Invalid("data must be an object")
        clean = validated(entity, {**current["data"], **data})
        return self.store(entity).update(record_id, {"data": clean, "associate": associate}, user)

    def delete(self, entity: str, record_id: str, user: str | None = None) -> dict[str, Any]:
        """Turn a live record into a tombstone (``KeyError`` when none)."""
        return self.store(entity).delete(record_id, user)

    def live(self, entity: str) -> list[dict[str, Any]]:
        """The live records of ``entity``."""
        return list(self.store(entity).live())

    def search(self, entity: str, key: str, value: str) -> list[dict[str, Any]]:
        """Live records whose normalised match key ``key`` holds ``value`` normalised alike."""
        model = entity_model(entity)
        wanted = _normalised(key, value)
        return [
            r
            for r in self.live(entity)
            if wanted in model.model_validate(r["data"]).match_keys().get(key, [])
        ]

    def shown(self, record: dict[str, Any]) -> dict[str, Any]:
        """A record as the API shows it: times in the system's zone."""
        out = dict(record)
        for name in ("created_at", "updated_at"):
            moment = parse_query_time(record[name]).astimezone(self.zone)
            out[name] = moment.isoformat(timespec="microseconds")
        return out

    def snapshot(self) -> dict[str, Any]:
        """Every record (tombstones too), for the inspection API."""
        return {e: list(s.records.values()) for e, s in self.stores.items()}

    def reset(self) -> None:
        """Forget every record."""
        self.stores.clear()
        self.idempotency.clear()


def validated(entity: str, data: Any) -> dict[str, Any]:
    """``data`` checked against the entity's canonical model, in its JSON form.

    Raises:
        Invalid: the data is not a valid record of ``entity``.
    """
    try:
        record = entity_model(entity).model_validate(data)
    except ValidationError as exc:
        raise Invalid(f"not a valid {entity}: {describe(exc)}") from None
    return record.model_dump(mode="json")


def _normalised(key: str, value: str) -> str:
    """A search value normalised as match keys are (G-3); other keys are compared as given."""
    try:
        if key == "email":
            return email_key(value)
        if key == "phone":
            return phone_e164(value)
    except ValueError:
        pass
    return value


def make_app(state: MemoryState | None = None, faults: FaultState | None = None) -> Starlette:
    """The memory system as an ASGI app (``state`` and ``faults`` are kept on ``app.state``)."""
    state = state or MemoryState()
    faults = faults or FaultState()

    def error(status: int, kind: str, message: str) -> Response:
        return json_response({"error": {"type": kind, "message": message}}, status)

    def refused(request: Request) -> Response | None:
        if state.api_key is None:
            return None
        if request.headers.get("authorization") == f"Bearer {state.api_key}":
            return None
        return error(401, "unauthorized", "missing or invalid API key")

    def entity_of(request: Request) -> str | None:
        entity = str(request.path_params["entity"])
        return entity if entity in entity_names() else None

    async def collection(request: Request) -> Response:
        if (no := refused(request)) is not None:
            return no
        entity = entity_of(request)
        if entity is None:
            return error(404, "not_found", f"no collection {request.path_params['entity']}")
        if request.method == "POST":
            return await create(request, entity)
        q = request.query_params
        if "key" in q:
            name, _, value = q["key"].partition(":")
            found = [state.shown(r) for r in state.search(entity, name, value)]
            return json_response({"data": found, "next_page_token": None})
        try:
            limit = max(1, min(int(q.get("limit", "100")), MAX_LIMIT))
            since = parse_query_time(q["updated_since"]) if q.get("updated_since") else None
            data, token = state.store(entity).page(since, q.get("page_token"), limit)
        except ValueError as exc:
            return error(400, "invalid_request", str(exc))
        return json_response({"data": [state.shown(r) for r in data], "next_page_token": token})

    async def create(request: Request, entity: str) -> Response:
        key = request.headers.get("idempotency-key")
        if key and key in state.idempotency:
            return json_response(state.shown(state.idempotency[key]), 201)
        body = await read_json(request)
        try:
            code = (body or {}).get("code") if isinstance(body, dict) else None
            record = state.create(entity, (body or {}).get("data"), *_who(request), code=code)
        except Invalid as exc:
            return error(422, "invalid_request", str(exc))
        if key:
            state.idempotency[key] = record
        return json_response(state.shown(record), 201)

    async def one(request: Request) -> Response:
        if (no := refused(request)) is not None:
            return no
        entity, record_id = entity_of(request), str(request.path_params["record_id"])
        try:
            if entity is None:
                raise KeyError(record_id)
            if request.method == "GET":
                return json_response(state.shown(state.store(entity).get(record_id)))
            if request.method == "DELETE":
                state.delete(entity, record_id, _who(request)[0])
                return Response(status_code=204)
            body = await read_json(request)
            if isinstance(body, dict) and "code" in body:
                state.set_code(entity, record_id, body["code"], _who(request)[0])
            record = state.update(entity, record_id, (body or {}).get("data", {}), *_who(request))
        except KeyError:
            return error(404, "not_found", f"no live record {record_id}")
        except Invalid as exc:
            return error(422, "invalid_request", str(exc))
        return json_response(state.shown(record))

    async def associates(request: Request) -> Response:
        if (no := refused(request)) is not None:
            return no
        return json_response({"data": state.associates})

    routes = [
        Route("/v1/associates", associates, methods=["GET"]),
        Route("/v1/{entity}", collection, methods=["GET", "POST"]),
        Route("/v1/{entity}/{record_id}", one, methods=["GET", "PATCH", "DELETE"]),
    ]
    app = build_app(routes, faults=faults, state=state.snapshot, reset=state.reset)
    app.state.memory = state
    app.state.faults = faults
    return app


def _who(request: Request) -> tuple[str | None, str | None]:
    return request.headers.get("x-memory-user"), request.headers.get("x-memory-associate")
