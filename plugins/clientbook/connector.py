"""The Clientbook connector: customers and associates over our REST model of Clientbook.

Written from ``docs/clientbook-api.md`` (the fake is written from the same page).
"""

from __future__ import annotations

import time
from importlib.resources import files
from typing import Any

from framework import (
    ApplyResult,
    AssociateMapping,
    ChangePage,
    Connector,
    ConnectorError,
    ConnectorInfo,
    Customer,
    EntitySupport,
    FatalError,
    HttpSettings,
    MatchQuery,
    MatchResult,
    RecordRejected,
    SystemContext,
    WriteOp,
    WriteRequest,
    request_json,
)
from framework.cursors import FeedCursor
from framework.presets import read_preset
from plugins.clientbook.mapping import to_body, to_change, to_customer

ASSOCIATES_TTL = 3600.0
CUSTOMER_FIELDS = [
    "first_name",
    "last_name",
    "emails",
    "phones",
    "addresses",
    "custom",
    "acquisition",
]


class ClientbookSettings(HttpSettings):
    """``[systems.NAME]`` keys of a Clientbook system."""

    connector: str = "clientbook"


def _error_text(response: Any) -> str:
    try:
        err = response.json()["error"]
        field = f" (field {err['field']})" if err.get("field") else ""
        return f"{err['type']}: {err['message']}{field}"
    except Exception:
        return str(response.text[:200])


class ClientbookConnector(Connector):
    """Clientbook, a clienteling platform (the platform side of edge-clientbook)."""

    name = "clientbook"

    def info(self) -> ConnectorInfo:
        """Customers both ways; associates for G-8."""
        return ConnectorInfo(
            name=self.name,
            side="platform",
            summary="Clientbook clienteling platform (REST model, docs/clientbook-api.md)",
            settings_model=ClientbookSettings,
            rules=["G-3", "G-4", "G-8", "CB-2", "CB-3", "CB-4", "CB-5", "CB-11"],
            entities={
                "customer": EntitySupport(
                    fields=CUSTOMER_FIELDS,
                    delete=True,
                    match_keys=["email", "phone"],
                    single_valued=["emails", "phones", "addresses"],
                    batch_size=100,
                    remote_match=True,
                ),
            },
        )

    def presets(self) -> list[dict[str, Any]]:
        """The edge-clientbook preset."""
        return [read_preset(files("plugins.clientbook").joinpath("edge-clientbook.toml"))]

    # -- plumbing ---------------------------------------------------------------------------

    def _call(self, system: SystemContext, method: str, url: str, **kwargs: Any) -> Any:
        assert system.http is not None, "the framework builds the HTTP client"
        settings = system.settings
        assert isinstance(settings, HttpSettings)
        headers = kwargs.pop("headers", {})
        if settings.api_key is not None:
            headers["authorization"] = f"Bearer {settings.api_key.get_secret_value()}"
        return request_json(
            system.http,
            method,
            url,
            system=system.name,
            error_text=_error_text,
            headers=headers,
            **kwargs,
        )

    # -- customers --------------------------------------------------------------------------

    def fetch_customer(self, system: SystemContext, cursor: str | None, limit: int) -> ChangePage:
        """One page of the clients feed."""
        position = FeedCursor.load(cursor)
        params: dict[str, Any] = {"limit": min(limit, 500)}
        if position.since is not None:
            params["updated_since"] = position.since.isoformat()
        if position.token:
            params["page_token"] = position.token
        body = self._call(system, "GET", "/v1/clients", params=params)
        changes = []
        for client in body["data"]:
            change = to_change(client)
            # An unreadable client is reported; the cursor does not move on its time.
            unreadable = change.updated_at is None
            if unreadable or position.fresh(change.id, change.version or "", change.updated_at):  # type: ignore[arg-type]
                changes.append(change)
        next_token = body.get("next_page_token")
        return ChangePage(
            changes=changes,
            cursor=position.after_page(next_token).dump(),
            more=next_token is not None,
        )

    def apply_customer(self, system: SystemContext, request: WriteRequest) -> ApplyResult:
        """Create, update or delete one client."""
        try:
            if request.op is WriteOp.DELETE:
                self._call(system, "DELETE", f"/v1/clients/{request.target_id}")
                return ApplyResult(id=request.target_id)
            assert isinstance(request.record, Customer)
            if request.op is WriteOp.CREATE:
                client = self._call(
                    system,
                    "POST",
                    "/v1/clients",
                    json=to_body(request.record, None),
                    headers={"idempotency-key": request.idempotency_key},
                )
            else:
                client = self._call(
                    system,
                    "PATCH",
                    f"/v1/clients/{request.target_id}",
                    json=to_body(request.record, request.fields),
                )
        except FatalError as exc:
            if exc.status == 404:
                raise RecordRejected(str(exc), system=system.name, status=404) from None
            raise
        if client.get("status") == "queued":  # 202: created later, no id yet
            return ApplyResult(pending=True)
        return ApplyResult(
            id=client["id"], version=str(client["version"]), record=to_customer(client)
        )

    def apply_many(
        self, system: SystemContext, requests: list[WriteRequest]
    ) -> list[ApplyResult | ConnectorError] | None:
        """Creates and updates through ``/v1/clients/batch`` (deletes one by one)."""
        if any(r.op is WriteOp.DELETE or r.entity != "customer" for r in requests):
            return None
        operations: list[dict[str, Any]] = []
        for r in requests:
            assert isinstance(r.record, Customer)
            if r.op is WriteOp.CREATE:
                operations.append(
                    {
                        "op": "create",
                        "idempotency_key": r.idempotency_key,
                        "client": to_body(r.record, None),
                    }
                )
            else:
                operations.append(
                    {"op": "update", "id": r.target_id, "client": to_body(r.record, r.fields)}
                )
        body = self._call(system, "POST", "/v1/clients/batch", json={"operations": operations})
        results: list[ApplyResult | ConnectorError] = []
        for item in body["results"]:
            if item["status"] == 202:  # a queued create: no id until it shows up
                results.append(ApplyResult(pending=True))
            elif item["status"] in (200, 201):
                client = item["client"]
                results.append(
                    ApplyResult(
                        id=client["id"], version=str(client["version"]), record=to_customer(client)
                    )
                )
            else:
                err = item.get("error") or {}
                results.append(
                    RecordRejected(
                        f"{system.name}: {err.get('type')}: {err.get('message')}",
                        system=system.name,
                        status=item["status"],
                        field=err.get("field"),
                    )
                )
        return results

    def match(self, system: SystemContext, query: MatchQuery) -> MatchResult | None:
        """Search live by e-mail and mobile when replaying a create (the feed is complete)."""
        if not query.replay:
            return None
        found: dict[str, Customer] = {}
        for name, param in (("email", "email"), ("phone", "mobile")):
            for value in query.keys.get(name, []):
                body = self._call(system, "GET", "/v1/clients", params={param: value})
                for client in body["data"]:
                    found[client["id"]] = to_customer(client)
        return MatchResult(ids=list(found), records=dict(found), source="clientbook search")

    # -- associates (G-8, CB-11) ------------------------------------------------------------

    def associate(
        self, system: SystemContext, user_id: str | None, default_associate: str | None
    ) -> AssociateMapping | None:
        """The Edge associate number from the associate's "Point of Sale ID"."""
        if user_id is None:
            return None
        pos_id = self._associates(system).get(user_id)
        return AssociateMapping(pos_associate=pos_id, source="mapped") if pos_id else None

    def _associates(self, system: SystemContext) -> dict[str, str | None]:
        cached = system.cache.get("associates")
        if cached is None or time.monotonic() - cached[0] > ASSOCIATES_TTL:
            body = self._call(system, "GET", "/v1/associates")
            cached = (time.monotonic(), {a["id"]: a.get("pos_id") for a in body["data"]})
            system.cache["associates"] = cached
        mapping: dict[str, str | None] = cached[1]
        return mapping
