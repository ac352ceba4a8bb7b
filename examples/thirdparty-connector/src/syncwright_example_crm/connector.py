"""The Example CRM connector, written from the API in ``README.md`` (never from the fake)."""

from __future__ import annotations

from typing import Any

from framework import (
    ApplyResult,
    AssociateMapping,
    Change,
    ChangePage,
    Connector,
    ConnectorInfo,
    Customer,
    Email,
    EntitySupport,
    FatalError,
    HttpSettings,
    MatchQuery,
    MatchResult,
    Op,
    Phone,
    RecordRejected,
    SystemContext,
    WriteOp,
    WriteRequest,
    request_json,
)
from framework.cursors import FeedCursor, parse_utc


class ExampleCrmSettings(HttpSettings):
    """``[systems.NAME]`` keys of an Example CRM account."""

    connector: str = "example-crm"


def to_customer(contact: dict[str, Any]) -> Customer:
    """A contact as a canonical customer."""
    return Customer(
        first_name=contact.get("given_name"),
        last_name=contact.get("family_name"),
        emails=[Email(address=contact["email"], preferred=True)] if contact.get("email") else [],
        phones=[Phone(number=contact["phone"], preferred=True)] if contact.get("phone") else [],
    )


def to_contact(customer: Customer, fields: list[str] | None) -> dict[str, Any]:
    """The contact fields for ``fields`` of a customer (``None``: all)."""
    wanted = None if fields is None else {f.partition(".")[0] for f in fields}
    email, phone = customer.preferred("emails"), customer.preferred("phones")
    body = {
        "given_name": customer.first_name,
        "family_name": customer.last_name,
        "email": email.address if email else None,
        "phone": phone.number if phone else None,
    }
    names = {"given_name": "first_name", "family_name": "last_name", "email": "emails"}
    names["phone"] = "phones"
    return {k: v for k, v in body.items() if wanted is None or names[k] in wanted}


class ExampleCrmConnector(Connector):
    """Example CRM contacts as customers (a platform)."""

    name = "example-crm"

    def info(self) -> ConnectorInfo:
        """Customers, both ways; users map to POS associates."""
        return ConnectorInfo(
            name=self.name,
            side="platform",
            summary="Example CRM (a third-party example package)",
            settings_model=ExampleCrmSettings,
            rules=["G-2", "G-3", "G-4", "G-6", "G-8"],
            entities={
                "customer": EntitySupport(
                    fields=["first_name", "last_name", "emails", "phones"],
                    delete=True,
                    match_keys=["email", "phone"],
                    single_valued=["emails", "phones"],
                )
            },
        )

    def _call(self, system: SystemContext, method: str, url: str, **kwargs: Any) -> Any:
        assert system.http is not None
        assert isinstance(system.settings, HttpSettings)
        key = system.settings.api_key
        headers = {**kwargs.pop("headers", {}), "x-api-key": key.get_secret_value() if key else ""}
        return request_json(system.http, method, url, system=system.name, headers=headers, **kwargs)

    def fetch_customer(self, system: SystemContext, cursor: str | None, limit: int) -> ChangePage:
        """One page of changed contacts."""
        position = FeedCursor.load(cursor)
        params: dict[str, Any] = {"page_size": min(limit, 200)}
        if position.since is not None:
            params["changed_after"] = position.since.isoformat()
        if position.token:
            params["cursor"] = position.token
        body = self._call(system, "GET", "/api/contacts", params=params)
        changes = []
        for contact in body["contacts"]:
            change = self._change(contact)
            assert change.updated_at is not None
            if position.fresh(change.id, change.version or "", change.updated_at):
                changes.append(change)
        following = body.get("next")
        return ChangePage(
            changes=changes, cursor=position.after_page(following).dump(), more=bool(following)
        )

    @staticmethod
    def _change(contact: dict[str, Any]) -> Change:
        base: dict[str, Any] = {
            "entity": "customer",
            "id": contact["contact_id"],
            "actor": contact.get("modified_by"),
            "updated_at": parse_utc(contact["modified"]),
            "version": str(contact["rev"]),
        }
        if contact.get("removed"):
            return Change(**base, op=Op.DELETE)
        try:
            return Change(**base, record=to_customer(contact))
        except ValueError as exc:
            return Change(**base, problem=f"contact {contact['contact_id']}: {exc}")

    def apply_customer(self, system: SystemContext, request: WriteRequest) -> ApplyResult:
        """Create, update or remove one contact."""
        url = f"/api/contacts/{request.target_id}"
        try:
            if request.op is WriteOp.DELETE:
                self._call(system, "DELETE", url)
                return ApplyResult(id=request.target_id)
            assert isinstance(request.record, Customer)
            if request.op is WriteOp.CREATE:
                body = to_contact(request.record, None)
                headers = {"x-request-id": request.idempotency_key}
                contact = self._call(system, "POST", "/api/contacts", json=body, headers=headers)
            else:
                body = to_contact(request.record, request.fields)
                contact = self._call(system, "PATCH", url, json=body)
        except FatalError as exc:
            if exc.status != 404:
                raise
            if request.op is WriteOp.DELETE:
                return ApplyResult(id=request.target_id)
            raise RecordRejected(str(exc), system=system.name, status=404) from None
        return ApplyResult(
            id=contact["contact_id"], version=str(contact["rev"]), record=to_customer(contact)
        )

    def match(self, system: SystemContext, query: MatchQuery) -> MatchResult | None:
        """Search by e-mail when replaying a create; else the engine's index answers."""
        if not query.replay:
            return None
        found: dict[str, Customer] = {}
        for address in query.keys.get("email", []):
            body = self._call(system, "GET", "/api/contacts", params={"email": address})
            found.update({c["contact_id"]: to_customer(c) for c in body["contacts"]})
        return MatchResult(ids=list(found), records=dict(found), source="example-crm search")

    def associate(
        self, system: SystemContext, user_id: str | None, default_associate: str | None
    ) -> AssociateMapping | None:
        """A CRM user's POS number (G-8); ``None`` for users without one."""
        if user_id is None:
            return None
        if "users" not in system.cache:
            body = self._call(system, "GET", "/api/users")
            system.cache["users"] = {u["user_id"]: u.get("pos_number") for u in body["users"]}
        number = system.cache["users"].get(user_id)
        return AssociateMapping(pos_associate=number, source="mapped") if number else None
