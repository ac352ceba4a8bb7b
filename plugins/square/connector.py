"""The Square connector: customers (point-of-sale customers and appointment clients alike).

Written from Square's OpenAPI spec (``fakes/specs/square.json``) and ``docs/square-api.md``; talks
to Square through the official SDK ``squareup`` on the framework's HTTP client.
"""

from __future__ import annotations

from importlib.resources import files
from typing import Any

from framework import (
    ApplyResult,
    Change,
    ChangePage,
    Connector,
    ConnectorError,
    ConnectorInfo,
    Customer,
    EntitySupport,
    MatchQuery,
    MatchResult,
    MergeOutcome,
    MergeRequest,
    Notification,
    RecordRejected,
    Subscription,
    SystemContext,
    WebhookEvent,
    WriteOp,
    WriteRequest,
)
from framework.presets import read_preset
from plugins.square import feed, merging, webhooks
from plugins.square.mapping import to_customer, to_fields
from plugins.square.sdk import call, client, settings_of
from plugins.square.settings import SquareSettings

GROUPS_TTL = 3600.0
CUSTOMER_FIELDS = [
    "first_name",
    "last_name",
    "company",
    "birth_date",
    "emails",
    "phones",
    "addresses",
    "acquisition",
    "groups",
]


class SquareConnector(Connector):
    """Square (the platform side of edge-square)."""

    name = "square"

    def info(self) -> ConnectorInfo:
        """Customers both ways, with duplicate merging on request."""
        return ConnectorInfo(
            name=self.name,
            side="platform",
            summary="Square customers and appointment clients (API v2, official SDK)",
            settings_model=SquareSettings,
            rules=["G-3", "G-4", "G-6", "SQ-1", "SQ-2", "SQ-3"],
            entities={
                "customer": EntitySupport(
                    fields=CUSTOMER_FIELDS,
                    delete=True,
                    match_keys=["email", "phone"],
                    single_valued=["emails", "phones", "addresses"],
                    batch_size=100,
                    remote_match=True,
                )
            },
        )

    def presets(self) -> list[dict[str, Any]]:
        """The edge-square preset."""
        return [read_preset(files("plugins.square").joinpath("edge-square.toml"))]

    # -- reading ----------------------------------------------------------------------------

    def fetch_customer(self, system: SystemContext, cursor: str | None, limit: int) -> ChangePage:
        """Changed profiles (search by ``updated_at``), then deletions and merges (events)."""
        return feed.fetch(system, cursor, limit, self.group_names(system))

    def group_names(self, system: SystemContext) -> dict[str, str]:
        """Group and segment ids -> names (SQ-3), cached for an hour, read once at a time."""

        def read() -> dict[str, str]:
            names: dict[str, str] = {}
            sdk = client(system)
            for lister, attr in (
                (sdk.customers.groups.list, "groups"),
                (sdk.customers.segments.list, "segments"),
            ):
                cursor = None
                while True:
                    page = call(system, f"listing {attr}", lister, cursor=cursor, limit=50)
                    for item in page.items or []:
                        names[str(item.id)] = str(item.name)
                    cursor = page.response.cursor
                    if not cursor:
                        break
            return names

        return system.cached("groups", read, GROUPS_TTL)

    def read_customer(self, system: SystemContext, ids: list[str]) -> list[Change]:
        """Customers read by id, fresh (a run a webhook triggered)."""
        return webhooks.read(system, ids, self.group_names(system))

    # -- webhooks -----------------------------------------------------------------------------

    def verify(self, system: SystemContext, notification: Notification) -> bool:
        """Square's HMAC-SHA256 signature over the notification URL and the body."""
        return webhooks.verify(system, notification)

    def events(self, system: SystemContext, notification: Notification) -> list[WebhookEvent]:
        """``customer.created`` / ``updated`` / ``deleted`` (a merge: ``merged``)."""
        return webhooks.events(notification)

    def subscription(self, system: SystemContext, url: str, create: bool) -> Subscription:
        """The Webhook Subscriptions API."""
        return webhooks.subscription(system, url, create)

    # -- writing ----------------------------------------------------------------------------

    def apply_customer(self, system: SystemContext, request: WriteRequest) -> ApplyResult:
        """Create (idempotent), sparse update (with the version last read) or delete."""
        customers = client(system).customers
        versions: dict[str, Any] = system.cache.setdefault("versions", {})
        if request.op is WriteOp.DELETE:
            assert request.target_id is not None
            call(
                system,
                f"deleting customer {request.target_id}",
                customers.delete,
                request.target_id,
                version=versions.get(request.target_id),
            )
            return ApplyResult(id=request.target_id)
        assert isinstance(request.record, Customer)
        if request.op is WriteOp.CREATE:
            fields = to_fields(request.record, None)
            if request.link_key:
                fields["reference_id"] = request.link_key
            body = call(
                system,
                "creating a customer",
                customers.create,
                idempotency_key=request.idempotency_key,
                **fields,
            )
        else:
            assert request.target_id is not None
            body = call(
                system,
                f"updating customer {request.target_id}",
                customers.update,
                request.target_id,
                version=versions.get(request.target_id),
                **to_fields(request.record, request.fields),
            )
        return self._result(system, feed._dump(body.customer))

    def _result(self, system: SystemContext, customer: dict[str, Any]) -> ApplyResult:
        system.cache.setdefault("versions", {})[customer["id"]] = customer.get("version")
        settings = settings_of(system)
        return ApplyResult(
            id=customer["id"],
            version=str(customer.get("version")),
            record=to_customer(customer, settings.region, self.group_names(system)),
        )

    def apply_many(
        self, system: SystemContext, requests: list[WriteRequest]
    ) -> list[ApplyResult | ConnectorError] | None:
        """Creates through bulk-create, updates through bulk-update (up to 100 each)."""
        ops = {r.op for r in requests}
        if ops == {WriteOp.CREATE}:
            items = {r.idempotency_key: self._create_body(r) for r in requests}
            body = call(
                system,
                "bulk-creating customers",
                client(system).customers.batch_create,
                customers=items,
            )
            keys = [r.idempotency_key for r in requests]
        elif ops == {WriteOp.UPDATE}:
            versions = system.cache.setdefault("versions", {})
            items = {}
            for r in requests:
                assert isinstance(r.record, Customer)
                assert r.target_id is not None
                version = versions.get(r.target_id)
                extra = {"version": version} if version is not None else {}
                items[r.target_id] = {**to_fields(r.record, r.fields), **extra}
            body = call(
                system,
                "bulk-updating customers",
                client(system).customers.bulk_update_customers,
                customers=items,
            )
            keys = [str(r.target_id) for r in requests]
        else:
            return None
        responses = body.responses or {}
        return [self._item(system, key, responses.get(key)) for key in keys]

    @staticmethod
    def _create_body(request: WriteRequest) -> dict[str, Any]:
        assert isinstance(request.record, Customer)
        fields = to_fields(request.record, None)
        if request.link_key:
            fields["reference_id"] = request.link_key
        return fields

    def _item(self, system: SystemContext, key: str, answer: Any) -> ApplyResult | ConnectorError:
        if answer is None:
            return RecordRejected(f"{system.name}: no answer for {key} in the bulk response")
        if getattr(answer, "customer", None) is not None:
            return self._result(system, feed._dump(answer.customer))
        errors = getattr(answer, "errors", None) or []
        first = errors[0] if errors else None
        return RecordRejected(
            f"{system.name}: Square refused {key}: "
            f"{getattr(first, 'code', '?')}: {getattr(first, 'detail', '')}",
            system=system.name,
            field=getattr(first, "field", None),
        )

    # -- matching (G-3) and search (SQ-3) ---------------------------------------------------

    def match(self, system: SystemContext, query: MatchQuery) -> MatchResult | None:
        """On a replayed create, search Square live by e-mail and phone (exact)."""
        if not query.replay:
            return None
        found = self.search(system, query.keys.get("email", []), query.keys.get("phone", []))
        return MatchResult(ids=list(found), records=dict(found), source="square search")

    def search(
        self, system: SystemContext, emails: list[str], phones: list[str]
    ) -> dict[str, Customer]:
        """Live profiles with one of these e-mails or phone numbers."""
        settings = settings_of(system)
        found: dict[str, Customer] = {}
        for name, values in (("email_address", emails), ("phone_number", phones)):
            for value in values:
                body = call(
                    system,
                    f"searching customers by {name}",
                    client(system).customers.search,
                    query={"filter": {name: {"exact": value}}},
                    limit=100,
                )
                for model in body.customers or []:
                    customer = feed._dump(model)
                    found[customer["id"]] = to_customer(
                        customer, settings.region, self.group_names(system)
                    )
        return found

    # -- merging on request (SQ-2) ----------------------------------------------------------

    def merge(self, system: SystemContext, request: MergeRequest) -> MergeOutcome | None:
        """Merge duplicate customers into the survivor (see ``merging``)."""
        if request.entity != "customer":
            return None
        customer, details, kept = merging.merge(system, request)
        result = self._result(system, customer)
        return MergeOutcome(
            id=customer["id"],
            record=result.record,
            version=result.version,
            removed=list(request.others),
            details=details,
            kept=kept,
        )
