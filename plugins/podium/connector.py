"""The Podium connector over Podium's API v4 (``docs/podium-api.md``).

Customers are contacts (``contacts.py``); sales, items, appointments and service jobs go to
what Podium keeps for partners (``activity.py``). OAuth 2 tokens: ``auth.py``. Written from
the spec in ``fakes/specs/podium.json`` and the doc page; the fake is never imported.
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
    EntitySupport,
    FatalError,
    MatchQuery,
    MatchResult,
    Notification,
    Subscription,
    SystemContext,
    WebhookEvent,
    WriteRequest,
)
from framework.presets import read_preset
from plugins.podium import activity, contacts, webhooks
from plugins.podium.settings import PodiumSettings

BATCH = 50
CUSTOMER_FIELDS = [
    "first_name",
    "last_name",
    "emails",
    "phones",
    "addresses",
    "custom",
    "acquisition",
]
PRODUCT_FIELDS = [
    "item_key",
    "title",
    "description",
    "price",
    "images",
    "archived",
    "special_order",
]
PURCHASE_FIELDS = [
    "customer",
    "sale_key",
    "line_no",
    "item_key",
    "description",
    "amount",
    "quantity",
    "sold_at",
    "special_order",
]
JOB_FIELDS = ["customer", "job_no", "kind", "status", "summary", "description", "date_entered"]
APPOINTMENT_FIELDS = ["customer", "starts_at", "ends_at", "status", "subject", "details"]
RULES = ["G-3", "G-4", "G-6", "PD-1", "PD-2", "PD-3", "PD-4", "PD-5", "PD-6"]


def _written_only(fields: list[str]) -> EntitySupport:
    return EntitySupport(fields=fields, read=False, batch_size=BATCH)


class PodiumConnector(Connector):
    """Podium, a messaging and clienteling platform (the platform side of edge-podium)."""

    name = "podium"

    def info(self) -> ConnectorInfo:
        """Contacts both ways; purchases, products and timeline events are written only."""
        return ConnectorInfo(
            name=self.name,
            side="platform",
            summary="Podium (API v4, OAuth 2; partner endpoints modelled, docs/podium-api.md)",
            settings_model=PodiumSettings,
            rules=list(RULES),
            entities={
                "customer": EntitySupport(
                    fields=CUSTOMER_FIELDS,
                    delete=True,
                    match_keys=["email", "phone"],
                    unique_keys=["email", "phone"],  # create is an upsert on them
                    single_valued=["emails", "phones", "addresses"],
                    joint_fields=[["first_name", "middle_name", "last_name"]],  # one name
                    batch_size=BATCH,
                    remote_match=True,
                    creates_later=True,  # 202: the contact's uid comes with its next read
                ),
                "product": _written_only(PRODUCT_FIELDS),
                "purchase": _written_only(PURCHASE_FIELDS),
                "service_job": _written_only(JOB_FIELDS),
                "appointment": _written_only(APPOINTMENT_FIELDS),
            },
        )

    def presets(self) -> list[dict[str, Any]]:
        """The edge-podium preset."""
        return [read_preset(files("plugins.podium").joinpath("edge-podium.toml"))]

    def refuse(self, system: SystemContext, entity: str, direction: str, side: str) -> str | None:
        """PD-1: item sync is refused, before anything runs, on an account on Clientele."""
        settings = system.settings
        if (
            entity == "product"
            and isinstance(settings, PodiumSettings)
            and settings.tier == "clientele"
        ):
            return (
                f"PD-1: item sync needs Podium's Clientele+ tier and system {system.name!r} "
                'is on Clientele (tier = "clientele"): turn the product flow off '
                '(direction = "off") or, on Clientele+, set tier = "clientele_plus"'
            )
        return None

    # -- customers (PD-2, PD-3) -------------------------------------------------------------

    def fetch_customer(self, system: SystemContext, cursor: str | None, limit: int) -> ChangePage:
        """Contacts updated since the cursor."""
        return contacts.fetch(system, cursor, limit)

    def read_customer(self, system: SystemContext, ids: list[str]) -> list[Change]:
        """Contacts read by uid, fresh (a run a webhook triggered)."""
        return webhooks.read(system, ids)

    def verify(self, system: SystemContext, notification: Notification) -> bool:
        """Podium's signature over ``timestamp.body`` (optional signing: see webhooks.py)."""
        return webhooks.verify(system, notification)

    def events(self, system: SystemContext, notification: Notification) -> list[WebhookEvent]:
        """``contact.created`` / ``updated`` / ``deleted`` / ``merged``."""
        return webhooks.events(notification)

    def subscription(self, system: SystemContext, url: str, create: bool) -> Subscription:
        """``/v4/webhooks``."""
        return webhooks.subscription(system, url, create)

    def apply_customer(self, system: SystemContext, request: WriteRequest) -> ApplyResult:
        """Create (202: pending until it shows), update or delete one contact."""
        return contacts.apply(system, request)

    def match(self, system: SystemContext, query: MatchQuery) -> MatchResult | None:
        """A live lookup by e-mail and phone when a create is replayed."""
        return contacts.match(system, query)

    # -- written only (PD-4, PD-5, PD-6) ----------------------------------------------------

    def apply_product(self, system: SystemContext, request: WriteRequest) -> ApplyResult:
        """One item as a product, searchable by its Edge item number."""
        return activity.apply_product(system, request)

    def apply_purchase(self, system: SystemContext, request: WriteRequest) -> ApplyResult:
        """One sale line as a client purchase (its item an archived product on Clientele+)."""
        return activity.apply_purchase(system, request)

    def apply_service_job(self, system: SystemContext, request: WriteRequest) -> ApplyResult:
        """One service job update on the customer's Activity Timeline."""
        return activity.apply_service_job(system, request)

    def apply_appointment(self, system: SystemContext, request: WriteRequest) -> ApplyResult:
        """One appointment update on the customer's Activity Timeline."""
        return activity.apply_appointment(system, request)

    def apply_many(
        self, system: SystemContext, requests: list[WriteRequest]
    ) -> list[ApplyResult | ConnectorError] | None:
        """One call per write (Podium has no batch endpoint), each write's failure its own.

        A failure of the whole system (credentials refused, an unknown path) stops the batch.
        """
        method = getattr(self, f"apply_{requests[0].entity}")
        results: list[ApplyResult | ConnectorError] = []
        for request in requests:
            try:
                results.append(method(system, request))
            except FatalError:
                raise
            except ConnectorError as exc:
                results.append(exc)
        return results
