"""The IdoSell connector: customer accounts of an IdoSell shop over the Admin API v6.

Written from ``../shared/specs/idosell-admin-v6-crm-openapi.json`` and
``docs/idosell-api.md`` (the fake is written from the same). Reads page through
``GET /clients/clients`` by last modification date (``feed.py``) and fetch the delivery
addresses of a page in one more call; writes go in batches (IS-6): creates as one POST,
updates as one PUT, new delivery addresses as one POST, each up to 100 clients, with a 207's
per-item ``faultCode`` turned into a refusal of that record only.
"""

from __future__ import annotations

import time
from importlib.resources import files
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import Field, field_validator

from framework import (
    ApplyResult,
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
)
from framework.http import json_body, request_checked
from framework.models import Address
from framework.presets import read_preset
from plugins.idosell.feed import ClientsCursor, shop_time
from plugins.idosell.login import PLACEHOLDERS, LoginMaker
from plugins.idosell.mapping import (
    as_stored,
    delivery_item,
    post_item,
    put_item,
    to_change,
    to_customer,
)

SINCE = "clientsLastModificationDate[clientsLastModificationDateBegin]"
MAX_ITEMS = 100
EMPTY_RESULT = 2
LOGIN_IN_USE = 3
GROUPS_TTL = 3600.0
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


class IdoSellSettings(HttpSettings):
    """``[systems.NAME]`` keys of an IdoSell shop (``base_url`` ends in ``/api/admin/v6``)."""

    connector: str = "idosell"
    page_size: int = Field(100, gt=0, le=MAX_ITEMS, description="Clients per GET (1-100)")
    login_pattern: str | None = Field(
        None,
        description="IS-7: e.g. '{first_name}.{last_name}' or '{code}'; none: automatic "
        "(from the F/K code)",
    )
    send_mail: bool = Field(False, description="Tell customers about their new account")
    timezone: str = Field("Europe/Warsaw", description="The shop's clock (modification dates)")
    feed_overlap_seconds: float = Field(
        5.0, ge=0, description="Each read starts this much before the last read began"
    )

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"unknown time zone {value!r} (e.g. Europe/Warsaw)") from None
        return value

    @field_validator("login_pattern")
    @classmethod
    def _known_placeholders(cls, value: str | None) -> str | None:
        if value is not None:
            try:
                value.format(**dict.fromkeys(PLACEHOLDERS, "x"))
            except (KeyError, IndexError, ValueError) as exc:
                raise ValueError(
                    f"bad placeholder {exc}; known: {', '.join(PLACEHOLDERS)}"
                ) from None
        return value


def _error_text(response: Any) -> str:
    try:
        err = response.json()["errors"]
        return f"faultCode {err['faultCode']}: {err['faultString']}"
    except Exception:
        return str(response.text[:200])


def _fault(system: SystemContext, item: dict[str, Any], rule: str, doing: str) -> RecordRejected:
    errors = item.get("errors") or [{}]
    first = errors[0] if isinstance(errors, list) else errors
    return RecordRejected(
        f"{system.name}: {doing} refused: faultCode {first.get('faultCode')}: "
        f"{first.get('faultString')}",
        system=system.name,
        status=207,
        rule=rule,
    )


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

    # -- plumbing ---------------------------------------------------------------------------

    @staticmethod
    def _settings(system: SystemContext) -> IdoSellSettings:
        assert isinstance(system.settings, IdoSellSettings)
        return system.settings

    def _send(self, system: SystemContext, method: str, path: str, **kwargs: Any) -> Any:
        assert system.http is not None, "the framework builds the HTTP client"
        settings = self._settings(system)
        headers = {"accept": "application/json"}
        if settings.api_key is not None:
            headers["x-api-key"] = settings.api_key.get_secret_value()
        return request_checked(
            system.http,
            method,
            path,
            system=system.name,
            error_text=_error_text,
            headers=headers,
            **kwargs,
        )

    def _call(self, system: SystemContext, method: str, path: str, **kwargs: Any) -> Any:
        return json_body(self._send(system, method, path, **kwargs), system.name)

    def _get_list(
        self, system: SystemContext, path: str, params: dict[str, Any]
    ) -> tuple[Any, str | None]:
        """A GET whose 207 "empty result" means nothing found; other faults are fatal.

        Returns the body and the response's ``Date`` header.
        """
        response = self._send(system, "GET", path, params=params)
        body = json_body(response, system.name) or {}
        errors = body.get("errors")
        if errors and errors.get("faultCode") not in (0, EMPTY_RESULT):
            raise FatalError(
                f"{system.name}: GET {path}: faultCode {errors.get('faultCode')}: "
                f"{errors.get('faultString')}",
                system=system.name,
            )
        return body, response.headers.get("date")

    # -- reading ----------------------------------------------------------------------------

    def fetch_customer(self, system: SystemContext, cursor: str | None, limit: int) -> ChangePage:
        """One page of clients modified since the cursor, with their delivery addresses."""
        position = ClientsCursor.load(cursor)
        params: dict[str, Any] = {
            "resultsPage": position.page,
            "resultsLimit": min(limit, self._settings(system).page_size),
        }
        if position.since is not None:
            params[SINCE] = position.since
        settings = self._settings(system)
        body, date = self._get_list(system, "/clients/clients", params)
        position.started(shop_time(date, settings.timezone, settings.feed_overlap_seconds))
        fresh = [r for r in body.get("results") or [] if position.fresh(r)]
        deliveries = self._deliveries(system, [int(r["clientId"]) for r in fresh])
        more = position.page + 1 < int(body.get("resultsNumberPage") or 0)
        return ChangePage(
            changes=[to_change(r, deliveries.get(int(r["clientId"]), [])) for r in fresh],
            cursor=position.next(more).dump(),
            more=more,
            total=body.get("resultsNumberAll") if position.page == 0 else None,
        )

    def _deliveries(self, system: SystemContext, ids: list[int]) -> dict[int, list[Any]]:
        if not ids:
            return {}
        body, _ = self._get_list(
            system, "/clients/deliveryAddress", {"clientIds": ",".join(map(str, ids))}
        )
        return {
            int(r["clientId"]): list(r.get("clientDeliveryAddresses") or [])
            for r in body.get("results") or []
        }

    def match(self, system: SystemContext, query: MatchQuery) -> MatchResult | None:
        """IS-3: when replaying a create, look the external code up live."""
        codes = query.keys.get("link_key") or []
        if not query.replay or not codes:
            return None
        body, _ = self._get_list(
            system, "/clients/clients", {"clientCodesExternal": ",".join(codes)}
        )
        found = {str(r["clientId"]): to_customer(r, []) for r in body.get("results") or []}
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
        out: dict[int, ApplyResult | ConnectorError] = {}
        creates, updates = [], []
        for n, request in enumerate(requests):
            if request.op is WriteOp.DELETE or not isinstance(request.record, Customer):
                out[n] = RecordRejected(
                    f"{system.name}: IdoSell accounts are not deleted by the bridge (G-7)",
                    system=system.name,
                    rule="G-7",
                )
            elif request.op is WriteOp.CREATE:
                creates.append(n)
            else:
                updates.append(n)
        written: dict[int, tuple[str, str]] = {}  # n -> (client id, login)
        if creates:
            self._create(system, requests, creates, out, written)
        if updates:
            self._update(system, requests, updates, out, written)
        self._add_deliveries(system, requests, written, out)
        for n, (client_id, login) in written.items():
            if n not in out:
                out[n] = self._stored(requests[n], client_id, login)
        return [out[n] for n in range(len(requests))]

    def _group(self, system: SystemContext, request: WriteRequest) -> int | None:
        """IS-10: the shop's number of the customer's discount group (by name)."""
        assert isinstance(request.record, Customer)
        name = request.record.discount_group
        if name is None:
            return None
        groups = self._groups(system)
        if name not in groups:
            groups = self._groups(system, refresh=True)
        if name not in groups:
            raise RecordRejected(
                f"{system.name}: the shop has no discount group named {name!r} "
                f"(it has: {', '.join(sorted(groups)) or 'none'})",
                system=system.name,
                rule="IS-10",
            )
        return groups[name]

    def _groups(self, system: SystemContext, refresh: bool = False) -> dict[str, int]:
        cached = system.cache.get("groups")
        if refresh or cached is None or time.monotonic() - cached[0] > GROUPS_TTL:
            body, _ = self._get_list(system, "/discounts/groups", {"resultsLimit": 100})
            groups = {str(g["groupName"]): int(g["groupNumber"]) for g in body.get("groups") or []}
            cached = (time.monotonic(), groups)
            system.cache["groups"] = cached
        found: dict[str, int] = cached[1]
        return found

    def _create(
        self,
        system: SystemContext,
        requests: list[WriteRequest],
        todo: list[int],
        out: dict[int, ApplyResult | ConnectorError],
        written: dict[int, tuple[str, str]],
    ) -> None:
        """POST the new accounts; a login in use is retried with the next candidate (IS-7)."""
        logins = {n: LoginMaker(self._settings(system).login_pattern, requests[n]) for n in todo}
        items: dict[int, dict[str, Any]] = {}
        for n in todo:
            try:
                items[n] = post_item(
                    requests[n].record,  # type: ignore[arg-type]
                    logins[n].current,
                    requests[n].link_key,
                    requests[n].idempotency_key,
                    self._group(system, requests[n]),
                )
            except RecordRejected as exc:
                out[n] = exc
        while items:
            order = list(items)
            body = self._call(
                system,
                "POST",
                "/clients/clients",
                json={
                    "params": {"clients": [items[n] for n in order]},
                    "settings": {"send_mail": self._settings(system).send_mail, "send_sms": False},
                },
            )
            retry: dict[int, dict[str, Any]] = {}
            for n, item in zip(order, body.get("clients") or [], strict=True):
                if item.get("status"):
                    params = item.get("params") or {}
                    written[n] = (str(params["id"]), str(params.get("login") or items[n]["login"]))
                    continue
                codes = {e.get("faultCode") for e in item.get("errors") or []}
                if LOGIN_IN_USE in codes and logins[n].advance():
                    retry[n] = {**items[n], "login": logins[n].current}
                    continue
                rule = "IS-7" if codes & {1, 2, 3} else "G-5"
                out[n] = _fault(system, item, rule, f"creating account {items[n]['login']!r}")
            items = retry

    def _update(
        self,
        system: SystemContext,
        requests: list[WriteRequest],
        todo: list[int],
        out: dict[int, ApplyResult | ConnectorError],
        written: dict[int, tuple[str, str]],
    ) -> None:
        """PUT the changed fields of existing accounts, by login."""
        logins = self._logins(system, [requests[n] for n in todo])
        items: dict[int, dict[str, Any]] = {}
        for n in todo:
            request = requests[n]
            assert isinstance(request.record, Customer)
            login = logins.get(str(request.target_id))
            if login is None:
                out[n] = RecordRejected(
                    f"{system.name}: client {request.target_id} not found", system=system.name
                )
                continue
            fields = {f.partition(".")[0] for f in request.fields}
            try:
                group = self._group(system, request) if "discount_group" in fields else None
            except RecordRejected as exc:
                out[n] = exc
                continue
            item = put_item(request.record, login, fields, group)
            if len(item) > 1:
                items[n] = item
            else:
                written[n] = (str(request.target_id), login)  # only delivery addresses
        if not items:
            return
        order = list(items)
        body = self._call(
            system,
            "PUT",
            "/clients/clients",
            json={
                "params": {"clients": [items[n] for n in order]},
                "clientsSettings": {"clientSettingSendMail": False, "clientSettingSendSms": False},
            },
        )
        for n, item in zip(order, body.get("results") or [], strict=True):
            if item.get("resultStatus"):
                written[n] = (str(requests[n].target_id), items[n]["clientLogin"])
            else:
                out[n] = _fault(system, item, "G-5", f"updating client {requests[n].target_id}")

    def _logins(self, system: SystemContext, requests: list[WriteRequest]) -> dict[str, str]:
        """Client id -> login (PUT addresses clients by login); looked up when not known."""
        known: dict[str, str] = {}
        missing = []
        for r in requests:
            login = r.record.login if isinstance(r.record, Customer) else None
            if login:
                known[str(r.target_id)] = login
            elif r.target_id is not None:
                missing.append(str(r.target_id))
        if missing:
            body, _ = self._get_list(
                system,
                "/clients/clients",
                {"clientsIds": ",".join(missing), "resultsLimit": MAX_ITEMS},
            )
            for result in body.get("results") or []:
                known[str(result["clientId"])] = str(result["clientLogin"])
        return known

    def _add_deliveries(
        self,
        system: SystemContext,
        requests: list[WriteRequest],
        written: dict[int, tuple[str, str]],
        out: dict[int, ApplyResult | ConnectorError],
    ) -> None:
        """IS-9: add the delivery addresses the accounts lack, never replacing one."""
        wanted = [
            n
            for n in written
            if isinstance(record := requests[n].record, Customer)
            and record.delivery_addresses
            and (requests[n].op is WriteOp.CREATE or "delivery_addresses" in requests[n].fields)
        ]
        if not wanted:
            return
        updated = [int(written[n][0]) for n in wanted if requests[n].op is WriteOp.UPDATE]
        current = self._deliveries(system, updated)
        items: list[tuple[int, dict[str, Any]]] = []
        for n in wanted:
            customer = requests[n].record
            assert isinstance(customer, Customer)
            client_id, login = written[n]
            have = {
                Customer.item_identity("delivery_addresses", to_address(d))
                for d in current.get(int(client_id), [])
            }
            for address in customer.delivery_addresses:
                identity = Customer.item_identity("delivery_addresses", address.model_dump())
                if identity not in have:
                    have.add(identity)
                    items.append((n, delivery_item(login, customer, address)))
        for start in range(0, len(items), MAX_ITEMS):
            chunk = items[start : start + MAX_ITEMS]
            body = self._call(
                system,
                "POST",
                "/clients/deliveryAddress",
                json={"params": {"clients": [item for _, item in chunk]}},
            )
            for (n, item), result in zip(chunk, body.get("results") or [], strict=True):
                if not result.get("resultStatus") and n not in out:
                    done = "created" if requests[n].op is WriteOp.CREATE else "updated"
                    out[n] = _fault(
                        system,
                        result,
                        "IS-9",
                        f"client {written[n][0]} was {done}, but its delivery address "
                        f"{item.get('clientDeliveryAddressStreet')!r}",
                    )

    @staticmethod
    def _stored(request: WriteRequest, client_id: str, login: str) -> ApplyResult:
        """The result of a successful write, with the customer as IdoSell now holds it."""
        customer = request.record
        assert isinstance(customer, Customer)
        record = as_stored(customer, login, customer.discount_group, customer.delivery_addresses)
        return ApplyResult(id=client_id, record=record)


def to_address(row: dict[str, Any]) -> dict[str, Any]:
    """A delivery address row as a canonical address dict (for identity)."""
    return Address(
        street1=row.get("clientDeliveryAddressStreet"),
        postal_code=row.get("clientDeliveryAddressZipCode"),
        city=row.get("clientDeliveryAddressCity"),
    ).model_dump()
