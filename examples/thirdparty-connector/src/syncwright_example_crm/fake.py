"""A fake Example CRM, written from the API in ``README.md`` with syncwright's fakes toolkit."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from fakes.toolkit import (
    Clock,
    FaultState,
    FeedStore,
    build_app,
    json_response,
    parse_time,
    read_json,
)

FIELDS = ("given_name", "family_name", "email", "phone")
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_E164 = re.compile(r"^\+[1-9]\d{6,14}$")


class Invalid(Exception):
    """A contact the API refuses."""


@dataclass
class CrmState:
    """Contacts, users and idempotency keys of one CRM account."""

    api_key: str = "example-key"
    clock: Clock = field(default_factory=Clock)
    users: list[dict[str, Any]] = field(
        default_factory=lambda: [
            {"user_id": "u1", "pos_number": "12"},
            {"user_id": "u2", "pos_number": None},
        ]
    )
    requests: dict[str, dict[str, Any]] = field(default_factory=dict)
    contacts: FeedStore = field(init=False)

    def __post_init__(self) -> None:
        self.contacts = FeedStore(self.clock, "c-")

    def create(self, body: Any, user: str | None = None) -> dict[str, Any]:
        """Validate and store a contact."""
        values = valid(body)
        if not (values.get("given_name") or values.get("family_name")):
            raise Invalid("a contact needs a name")
        return self.contacts.create({k: values.get(k) for k in FIELDS}, user)

    def update(self, contact_id: str, body: Any, user: str | None = None) -> dict[str, Any]:
        """Replace the given fields of a live contact (``KeyError`` when none)."""
        self.contacts.get(contact_id)
        return self.contacts.update(contact_id, valid(body), user)


def valid(body: Any) -> dict[str, Any]:
    """The accepted fields of a contact body."""
    if not isinstance(body, dict) or set(body) - set(FIELDS):
        raise Invalid(f"a contact has the fields {', '.join(FIELDS)}")
    if body.get("email") and not _EMAIL.match(body["email"]):
        raise Invalid(f"email {body['email']!r} is not an e-mail address")
    if body.get("phone") and not _E164.match(body["phone"]):
        raise Invalid(f"phone {body['phone']!r} is not in E.164 form")
    return dict(body)


def shown(record: dict[str, Any]) -> dict[str, Any]:
    """A stored record in the API's own field names."""
    return {
        "contact_id": record["id"],
        **{k: record.get(k) for k in FIELDS},
        "modified": record["updated_at"],
        "modified_by": record.get("updated_by"),
        "rev": record["version"],
        "removed": record["deleted"],
    }


def make_app(state: CrmState, faults: FaultState | None = None) -> Starlette:
    """The fake as an ASGI app."""

    def problem(status: int, detail: str) -> Response:
        return json_response({"detail": detail}, status)

    def denied(request: Request) -> bool:
        return request.headers.get("x-api-key") != state.api_key

    async def contacts(request: Request) -> Response:
        if denied(request):
            return problem(401, "bad API key")
        if request.method == "POST":
            key = request.headers.get("x-request-id")
            if key and key in state.requests:
                return json_response(shown(state.requests[key]), 201)
            try:
                made = state.create(await read_json(request), "api")
            except Invalid as exc:
                return problem(422, str(exc))
            if key:
                state.requests[key] = made
            return json_response(shown(made), 201)
        q = request.query_params
        if "email" in q:
            found = [
                shown(c)
                for c in state.contacts.live()
                if (c.get("email") or "").lower() == q["email"].lower()
            ]
            return json_response({"contacts": found, "next": None})
        since = parse_time(q["changed_after"]) if q.get("changed_after") else None
        size = max(1, min(int(q.get("page_size", "50")), 200))
        page, following = state.contacts.page(since, q.get("cursor"), size)
        return json_response({"contacts": [shown(c) for c in page], "next": following})

    async def contact(request: Request) -> Response:
        if denied(request):
            return problem(401, "bad API key")
        contact_id = request.path_params["contact_id"]
        try:
            if request.method == "DELETE":
                state.contacts.delete(contact_id, "api")
                return Response(status_code=204)
            updated = state.update(contact_id, await read_json(request), "api")
        except KeyError:
            return problem(404, f"no contact {contact_id}")
        except Invalid as exc:
            return problem(422, str(exc))
        return json_response(shown(updated))

    async def users(request: Request) -> Response:
        if denied(request):
            return problem(401, "bad API key")
        return json_response({"users": state.users})

    routes = [
        Route("/api/contacts", contacts, methods=["GET", "POST"]),
        Route("/api/contacts/{contact_id}", contact, methods=["PATCH", "DELETE"]),
        Route("/api/users", users),
    ]
    snapshot = lambda: {"contacts": list(state.contacts.records.values())}  # noqa: E731
    return build_app(
        routes, faults=faults or FaultState(), state=snapshot, reset=state.__post_init__
    )
