"""The Clientbook connector over our REST model of Clientbook (``docs/clientbook-api.md``).

Customers and associates here; wish lists in ``wishes.py``, notes and messages in
``notes.py``, products, purchases and service jobs in ``catalog.py``, texts in ``sms.py``.
The fake is written from the same page and never imported.
"""

from __future__ import annotations

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
    HttpSettings,
    MatchQuery,
    MatchResult,
    RecordRejected,
    SystemContext,
    WriteOp,
    WriteRequest,
)
from framework.presets import read_preset
from plugins.clientbook import catalog
from plugins.clientbook.api import call, fetch_feed, write
from plugins.clientbook.mapping import to_body, to_change, to_customer
from plugins.clientbook.notes import apply_note, message_change, note_change
from plugins.clientbook.sms import apply_sms
from plugins.clientbook.wishes import apply_wishes, item_change

ASSOCIATES_TTL = 3600.0
BATCH = 100
# Wishes have no batch endpoint: a "batch" shares its stock items' upsert (one products batch
# call) and each client's collection lookup, then writes one item a call. Small batches go
# out in parallel lanes (several writes in flight): at 100 ms a call, 100 wishes in one
# batch took 23 s one after the other; 5 a batch keep 8 lanes evenly busy for a few more
# product upserts (framework/engine/in_flight.py, benchmarks/README.md).
WISH_BATCH = 5
CUSTOMER_FIELDS = [
    "first_name",
    "last_name",
    "emails",
    "phones",
    "addresses",
    "custom",
    "acquisition",
]
WISH_FIELDS = [
    "customer",
    "item_key",
    "description",
    "buy_for",
    "event",
    "event_date",
    "date_entered",
    "date_bought",
]
JOB_FIELDS = ["customer", "job_no", "kind", "status", "summary", "description", "date_entered"]
RULES = ["G-3", "G-4", "G-8", "CB-2", "CB-3", "CB-4", "CB-5", "CB-6", "CB-7", "CB-8", "CB-9"]


class ClientbookSettings(HttpSettings):
    """``[systems.NAME]`` keys of a Clientbook system."""

    connector: str = "clientbook"
    wish_collection: str = "Edge"


def _written_only(fields: list[str], **capabilities: Any) -> EntitySupport:
    return EntitySupport(fields=fields, read=False, **capabilities)


class ClientbookConnector(Connector):
    """Clientbook, a clienteling platform (the platform side of edge-clientbook)."""

    name = "clientbook"

    def info(self) -> ConnectorInfo:
        """What each entity supports (write-only entities are never read back)."""
        return ConnectorInfo(
            name=self.name,
            side="platform",
            summary="Clientbook clienteling platform (REST model, docs/clientbook-api.md)",
            settings_model=ClientbookSettings,
            rules=[*RULES, "CB-10", "CB-11", "CB-12"],
            entities={
                "customer": EntitySupport(
                    fields=CUSTOMER_FIELDS,
                    delete=True,
                    match_keys=["email", "phone"],
                    single_valued=["emails", "phones", "addresses"],
                    batch_size=BATCH,
                    remote_match=True,
                ),
                "wish": EntitySupport(fields=WISH_FIELDS, delete=True, batch_size=WISH_BATCH),
                "note": EntitySupport(fields=["customer", "text", "date"], delete=True),
                "message": EntitySupport(
                    fields=["customer", "channel", "subject", "body", "sent_at"],
                    create=False,
                    update=False,
                ),
                "product": _written_only(
                    ["item_key", *catalog.PRODUCT_FIELDS], delete=True, batch_size=BATCH
                ),
                "purchase": _written_only(list(catalog.SALE_FIELDS), delete=True, batch_size=BATCH),
                "service_job": _written_only(JOB_FIELDS, delete=True, batch_size=BATCH),
                "sms_notification": _written_only(["phone", "body", "kind"], update=False),
            },
        )

    def presets(self) -> list[dict[str, Any]]:
        """The edge-clientbook preset."""
        return [read_preset(files("plugins.clientbook").joinpath("edge-clientbook.toml"))]

    # -- customers --------------------------------------------------------------------------

    def fetch_customer(self, system: SystemContext, cursor: str | None, limit: int) -> ChangePage:
        """One page of the clients feed."""
        return fetch_feed(system, "/v1/clients", cursor, limit, to_change)

    def apply_customer(self, system: SystemContext, request: WriteRequest) -> ApplyResult:
        """Create, update or delete one client."""
        if request.op is WriteOp.DELETE:
            write(system, "DELETE", f"/v1/clients/{request.target_id}")
            return ApplyResult(id=request.target_id)
        assert isinstance(request.record, Customer)
        if request.op is WriteOp.CREATE:
            client = call(
                system,
                "POST",
                "/v1/clients",
                json=to_body(request.record, None),
                headers={"idempotency-key": request.idempotency_key},
            )
        else:
            client = write(
                system,
                "PATCH",
                f"/v1/clients/{request.target_id}",
                json=to_body(request.record, request.fields),
            )
        if client.get("status") == "queued":  # 202: created later, no id yet
            return ApplyResult(pending=True)
        return ApplyResult(
            id=client["id"], version=str(client["version"]), record=to_customer(client)
        )

    def _apply_customers(
        self, system: SystemContext, requests: list[WriteRequest]
    ) -> list[ApplyResult | ConnectorError] | None:
        """Creates and updates through ``/v1/clients/batch`` (deletes one by one)."""
        if any(r.op is WriteOp.DELETE for r in requests):
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
        body = call(system, "POST", "/v1/clients/batch", json={"operations": operations})
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
        """Search clients live by e-mail and mobile when replaying a create (the feed is complete).

        Other entities are created with idempotency keys, which answer a replay themselves.
        """
        if not query.replay or query.entity != "customer":
            return None
        found: dict[str, Customer] = {}
        for name, param in (("email", "email"), ("phone", "mobile")):
            for value in query.keys.get(name, []):
                body = call(system, "GET", "/v1/clients", params={param: value})
                for client in body["data"]:
                    found[client["id"]] = to_customer(client)
        return MatchResult(ids=list(found), records=dict(found), source="clientbook search")

    # -- wish lists, notes, messages (CB-6, CB-7, CB-9) -------------------------------------

    def fetch_wish(self, system: SystemContext, cursor: str | None, limit: int) -> ChangePage:
        """Items of every collection; only those of the wish-list collection are wishes."""
        collection = self._settings(system).wish_collection
        return fetch_feed(
            system, "/v1/collection-items", cursor, limit, lambda i: item_change(i, collection)
        )

    def apply_wish(self, system: SystemContext, request: WriteRequest) -> ApplyResult:
        """One item of the client's wish-list collection (and its product)."""
        return self._one(self.apply_many(system, [request]))

    def fetch_note(self, system: SystemContext, cursor: str | None, limit: int) -> ChangePage:
        """Recent activity; only notes."""
        return fetch_feed(system, "/v1/activity", cursor, limit, note_change)

    def apply_note(self, system: SystemContext, request: WriteRequest) -> ApplyResult:
        """One note of the client's recent activity."""
        return apply_note(system, request)

    def fetch_message(self, system: SystemContext, cursor: str | None, limit: int) -> ChangePage:
        """E-mails and texts sent through Clientbook."""
        return fetch_feed(system, "/v1/messages", cursor, limit, message_change)

    # -- products, purchases, service jobs, texts (CB-8, CB-10, CB-12) ----------------------

    def apply_product(self, system: SystemContext, request: WriteRequest) -> ApplyResult:
        """One inventory item."""
        return self._one(self.apply_many(system, [request]))

    def apply_purchase(self, system: SystemContext, request: WriteRequest) -> ApplyResult:
        """One sold line (and its archived product)."""
        return self._one(self.apply_many(system, [request]))

    def apply_service_job(self, system: SystemContext, request: WriteRequest) -> ApplyResult:
        """One service job (its placeholder product and its purchase)."""
        return self._one(self.apply_many(system, [request]))

    def apply_sms_notification(self, system: SystemContext, request: WriteRequest) -> ApplyResult:
        """One text through the SMS back end."""
        return apply_sms(system, request)

    def apply_many(
        self, system: SystemContext, requests: list[WriteRequest]
    ) -> list[ApplyResult | ConnectorError] | None:
        """Batches of one entity; ``None`` (one by one) for entities without a batch endpoint."""
        entity = requests[0].entity
        if entity == "customer":
            return self._apply_customers(system, requests)
        if entity == "wish":
            return apply_wishes(system, requests, self._settings(system).wish_collection)
        if entity == "product":
            return catalog.apply_products(system, requests)
        if entity == "purchase":
            return catalog.apply_purchases(
                system, requests, catalog.sale_product, catalog.sale_body
            )
        if entity == "service_job":
            return catalog.apply_purchases(system, requests, catalog.job_product, catalog.job_body)
        return None

    @staticmethod
    def _one(results: list[ApplyResult | ConnectorError] | None) -> ApplyResult:
        assert results is not None
        if isinstance(results[0], ConnectorError):
            raise results[0]
        return results[0]

    @staticmethod
    def _settings(system: SystemContext) -> ClientbookSettings:
        assert isinstance(system.settings, ClientbookSettings)
        return system.settings

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
        def read() -> dict[str, str | None]:
            body = call(system, "GET", "/v1/associates")
            return {a["id"]: a.get("pos_id") for a in body["data"]}

        return system.cached("associates", read, ASSOCIATES_TTL)  # once, whoever asks
