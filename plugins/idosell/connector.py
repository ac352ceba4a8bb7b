"""The IdoSell connector: customer accounts of an IdoSell shop over the Admin API v6.

Written from ``fakes/specs/idosell.json`` and
``docs/idosell-api.md`` (the fake is written from the same). Reads page through
``GET /clients/clients`` by last modification date (``feed.py``) and fetch the delivery
addresses of a page in one more call; writes go in batches (``writes.py``, IS-6).
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
    MatchQuery,
    MatchResult,
    Notification,
    Subscription,
    SystemContext,
    WebhookEvent,
    WriteRequest,
)
from framework.presets import read_preset
from plugins.idosell import webhooks
from plugins.idosell.api import MAX_ITEMS, IdoSellSettings, Shop
from plugins.idosell.feed import ClientsCursor, shop_time
from plugins.idosell.mapping import to_change, to_customer
from plugins.idosell.writes import Batch

SINCE = "clientsLastModificationDate[clientsLastModificationDateBegin]"
CUSTOMER_FIELDS = [
    "first_name",
    "last_name",
    "company",
    "tax_id",
    "emails",
    "phones",
    "addresses",
    "delivery_addresses",
    "discount_group",
    "shops",
    "trade_credit",
    "blocked",
    "login",
]


class IdoSellConnector(Connector):
    """An IdoSell shop: the platform side of fk-idosell."""

    name = "idosell"

    def info(self) -> ConnectorInfo:
        """Customers: read by modification date, created and updated in batches."""
        return ConnectorInfo(
            name=self.name,
            side="platform",
            summary="IdoSell shop (Admin API v6: clients, delivery addresses, discount groups)",
            settings_model=IdoSellSettings,
            rules=[
                "G-3",
                "G-4",
                "G-5",
                "IS-2",
                "IS-3",
                "IS-5",
                "IS-6",
                "IS-7",
                "IS-9",
                "IS-10",
                "IS-11",
                "IS-12",
            ],
            entities={
                "customer": EntitySupport(
                    fields=CUSTOMER_FIELDS,
                    single_valued=["emails", "phones", "addresses"],
                    batch_size=MAX_ITEMS,
                    remote_match=True,
                )
            },
        )

    def presets(self) -> list[dict[str, Any]]:
        """The fk-idosell preset."""
        return [read_preset(files("plugins.idosell").joinpath("fk-idosell.toml"))]

    # -- reading ----------------------------------------------------------------------------

    def fetch_customer(self, system: SystemContext, cursor: str | None, limit: int) -> ChangePage:
        """One page of clients modified since the cursor, with their delivery addresses."""
        shop = Shop(system)
        position = ClientsCursor.load(cursor)
        params: dict[str, Any] = {
            "resultsPage": position.page,
            "resultsLimit": min(limit, shop.settings.page_size),
        }
        if position.since is not None:
            params[SINCE] = position.since
        body, date = shop.get_list("/clients/clients", params)
        overlap = shop.settings.feed_overlap_seconds
        position.started(shop_time(date, shop.settings.timezone, overlap))
        results = body.get("results") or []
        deliveries = shop.deliveries([int(r["clientId"]) for r in results])
        fresh = [r for r in results if position.fresh(r, deliveries.get(int(r["clientId"]), []))]
        more = position.page + 1 < int(body.get("resultsNumberPage") or 0)
        return ChangePage(
            changes=[to_change(r, deliveries.get(int(r["clientId"]), [])) for r in fresh],
            cursor=position.next(more).dump(),
            more=more,
            total=body.get("resultsNumberAll") if position.page == 0 else None,
        )

    def read_customer(self, system: SystemContext, ids: list[str]) -> list[Change]:
        """Clients read by id, fresh (a run a webhook triggered); gone ones wait for the poll."""
        found: list[Change] = []
        for start in range(0, len(ids), MAX_ITEMS):
            found += webhooks.read(system, ids[start : start + MAX_ITEMS])
        return found

    def verify(self, system: SystemContext, notification: Notification) -> bool:
        """The panel webhook's signature (see webhooks.py)."""
        return webhooks.verify(system, notification)

    def events(self, system: SystemContext, notification: Notification) -> list[WebhookEvent]:
        """Account created or edited."""
        return webhooks.events(notification)

    def subscription(self, system: SystemContext, url: str, create: bool) -> Subscription:
        """Set in the shop's panel: nothing to check or make through the API."""
        return webhooks.subscription(system, url)

    def match(self, system: SystemContext, query: MatchQuery) -> MatchResult | None:
        """IS-3: when replaying a create, look the external code up live."""
        codes = query.keys.get("link_key") or []
        if not query.replay or not codes:
            return None
        found = {str(r["clientId"]): to_customer(r, []) for r in Shop(system).by_codes(codes)}
        return MatchResult(ids=list(found), records=dict(found), source="idosell search")

    # -- writing ----------------------------------------------------------------------------

    def apply_customer(self, system: SystemContext, request: WriteRequest) -> ApplyResult:
        """One write, as a batch of one."""
        result = self.apply_many(system, [request])[0]
        if isinstance(result, ConnectorError):
            raise result
        return result

    def apply_many(
        self, system: SystemContext, requests: list[WriteRequest]
    ) -> list[ApplyResult | ConnectorError]:
        """Creates in one POST, updates in one PUT, new delivery addresses in one POST."""
        return Batch(Shop(system), requests).run()
